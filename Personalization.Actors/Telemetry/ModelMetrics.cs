using Prometheus;

namespace Personalization.Actors.Telemetry;

/// <summary>
/// The serving model as an info metric — <c>personalization_model_info{name, version} 1</c>, one series for the current
/// model, replaced on a swap — and the outcome of every load (start-up, hot swap, A/B variant sets).
/// </summary>
public static class ModelMetrics
{
    private static readonly Gauge Info = Metrics.CreateGauge(
        "personalization_model_info", "The model serving this node's users: always 1, with its name and version as labels.", "name", "version");

    private static readonly Counter Loads = Metrics.CreateCounter(
        "personalization_model_loads_total", "Model folders loaded and made current (start-up and hot swaps).");

    private static readonly Counter LoadFailures = Metrics.CreateCounter(
        "personalization_model_load_failures_total", "Model folders refused at load (start-up, hot swap or A/B variants); the previous model keeps serving.");

    private static readonly Lock Gate = new();
    private static (string Name, string Version)? _current;

    /// <summary>Creates the load counters at 0 (an alert on their increase needs the series before the first failure).</summary>
    public static void Touch()
    {
        Loads.Inc(0);
        LoadFailures.Inc(0);
    }

    public static void Loaded(string name, string version)
    {
        lock (Gate)
        {
            if (_current is { } previous && previous != (name, version)) Info.RemoveLabelled(previous.Name, previous.Version);
            _current = (name, version);
            Info.WithLabels(name, version).Set(1);
        }

        Loads.Inc();
    }

    public static void LoadFailed() => LoadFailures.Inc();

    public static double LoadFailureCount => LoadFailures.Value;
}
