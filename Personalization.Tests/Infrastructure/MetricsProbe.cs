using Prometheus;

namespace Personalization.Tests.Infrastructure;

/// <summary>Reads current values from prometheus-net's default registry (metrics are labelled per topic, so tests do not interfere).</summary>
public static class MetricsProbe
{
    public static double Gauge(string name, params string[] labels) => Metrics.CreateGauge(name, "", LabelNames(name, labels.Length)).WithLabels(labels).Value;

    public static double Counter(string name, params string[] labels) => Metrics.CreateCounter(name, "", LabelNames(name, labels.Length)).WithLabels(labels).Value;

    // Re-creating a metric returns the registered one; label names must match the registration.
    private static string[] LabelNames(string name, int count)
    {
        string[] names = name.StartsWith("personalization_ingest_", StringComparison.Ordinal) ? ["topic"]
            : name == "personalization_kafka_committed_offset" ? ["topic", "group", "partition"]
            : ["topic", "group"];
        return names.Length == count ? names : throw new ArgumentException($"{name} takes {names.Length} labels");
    }
}
