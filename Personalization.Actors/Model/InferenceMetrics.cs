using Prometheus;

namespace Personalization.Actors.Model;

/// <summary>Prometheus series of one batcher (labels: model name, version, graph step|score).</summary>
internal sealed class InferenceMetrics
{
    private static readonly string[] Labels = ["model", "version", "graph"];

    private static readonly Histogram BatchSize = Metrics.CreateHistogram(
        "personalization_model_batch_rows", "Rows (requests) per graph run of the inference batcher.",
        new HistogramConfiguration { LabelNames = Labels, Buckets = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512] });

    private static readonly Histogram RunSeconds = Metrics.CreateHistogram(
        "personalization_model_run_seconds", "Duration of one graph run (a whole batch; score includes top-k).",
        new HistogramConfiguration { LabelNames = Labels, Buckets = Histogram.ExponentialBuckets(0.000_01, 2, 16) });

    private static readonly Histogram RequestSeconds = Metrics.CreateHistogram(
        "personalization_model_request_seconds", "From StepAsync/TopKAsync to its result, queueing and all rounds included.",
        new HistogramConfiguration { LabelNames = Labels, Buckets = Histogram.ExponentialBuckets(0.000_01, 2, 18) });

    private static readonly Gauge QueueDepth = Metrics.CreateGauge(
        "personalization_model_queue_depth", "Requests waiting in the batcher's queue.",
        new GaugeConfiguration { LabelNames = Labels });

    // Two live batchers of one model version (a reload of the same folder) share series: remove on the last one.
    private static readonly Dictionary<(string, string, string), int> Users = [];

    private readonly string[] _labels;
    private int _removed;

    public InferenceMetrics(string model, string version, string graph)
    {
        _labels = [model, version, graph];
        lock (Users) Users[(model, version, graph)] = Users.GetValueOrDefault((model, version, graph)) + 1;
        Rows = BatchSize.WithLabels(_labels);
        Run = RunSeconds.WithLabels(_labels);
        Request = RequestSeconds.WithLabels(_labels);
        Queue = QueueDepth.WithLabels(_labels);
    }

    public Histogram.Child Rows { get; }
    public Histogram.Child Run { get; }
    public Histogram.Child Request { get; }
    public Gauge.Child Queue { get; }

    /// <summary>A retired model version stops reporting.</summary>
    public void Remove()
    {
        if (Interlocked.Exchange(ref _removed, 1) != 0) return;
        lock (Users)
        {
            var key = (_labels[0], _labels[1], _labels[2]);
            if (--Users[key] > 0) return;
            Users.Remove(key);
        }

        BatchSize.RemoveLabelled(_labels);
        RunSeconds.RemoveLabelled(_labels);
        RequestSeconds.RemoveLabelled(_labels);
        QueueDepth.RemoveLabelled(_labels);
    }
}
