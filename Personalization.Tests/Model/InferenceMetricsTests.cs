using Personalization.Actors.Model;
using Prometheus;
using Xunit;

namespace Personalization.Tests.Model;

[Collection(ModelCollection.Name)]
public sealed class InferenceMetricsTests(ModelFixture model)
{
    [Fact]
    public async Task Batches_latencies_and_queue_depth_are_exported()
    {
        var state = await model.Batcher.StepAsync(new float[model.Batcher.StateSize], [1]);
        await model.Batcher.TopKAsync(state, 5, []);

        using var stream = new MemoryStream();
        await Metrics.DefaultRegistry.CollectAndExportAsTextAsync(stream);
        var text = System.Text.Encoding.UTF8.GetString(stream.ToArray());
        var labels = $"model=\"{model.Batcher.Name}\",version=\"{model.Batcher.Version}\"";
        foreach (var graph in new[] { "step", "score" })
        {
            Assert.Contains($"personalization_model_batch_rows_count{{{labels},graph=\"{graph}\"}}", text);
            Assert.Contains($"personalization_model_run_seconds_count{{{labels},graph=\"{graph}\"}}", text);
            Assert.Contains($"personalization_model_request_seconds_count{{{labels},graph=\"{graph}\"}}", text);
            Assert.Contains($"personalization_model_queue_depth{{{labels},graph=\"{graph}\"}}", text);
        }
    }
}
