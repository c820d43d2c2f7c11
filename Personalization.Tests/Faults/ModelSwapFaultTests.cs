using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Personalization.Actors.Kafka.Broker;
using Personalization.Tests.Infrastructure;
using Personalization.Tests.Model;
using Xunit;

namespace Personalization.Tests.Faults;

/// <summary>
/// Fault 6 of issue 11: hot swaps to corrupt model folders while users are queried and events stream in. Each is
/// refused with a reason, the old model keeps serving, no query fails, and the stream ends as the offline replay of
/// the old model.
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class ModelSwapFaultTests(FaultContext context)
{
    private const int Partitions = 2;

    [Fact]
    public async Task Hot_swaps_to_a_truncated_graph_and_a_bad_manifest_are_refused_while_the_old_model_serves_every_query()
    {
        using var broker = EmbeddedKafkaBroker.Start(brokers: 1);
        using var stream = FaultStream.Create(broker, Partitions);
        var options = TestNode.CreateOptions(broker.BootstrapServers, stream.Topic, Partitions, "sqlite", FaultContext.SqliteConnectionString());
        await using var node = await TestNode.StartAsync(options);
        var produce = stream.ProduceAsync();
        await FaultProbe.WaitUntilAppliedAsync(node.Http, stream, stream.Workload.Events.Count / 4);
        var before = await node.Http.GetStringAsync("/admin/model");

        using var truncated = TestModelFolder.Copy();
        var step = truncated.File("step.onnx");
        File.WriteAllBytes(step, File.ReadAllBytes(step)[..(int)(new FileInfo(step).Length / 2)]);
        using var badManifest = TestModelFolder.Copy();
        var manifest = JsonNode.Parse(File.ReadAllText(badManifest.File("manifest.json")))!;
        manifest["item_count"] = 7; // contradicts the graphs and the vocabulary
        File.WriteAllText(badManifest.File("manifest.json"), manifest.ToJsonString());
        using var notJson = TestModelFolder.Copy();
        File.WriteAllText(notJson.File("manifest.json"), "{ this is not a manifest");

        var faultTime = Stopwatch.StartNew();
        await using var queries = QueryProbe.Start(node.Http, stream.Workload.ItemsByUser.Keys.ToList());
        foreach (var folder in new[] { truncated.Path, badManifest.Path, notJson.Path })
        {
            using var response = await node.Http.PostAsJsonAsync("/admin/model/load", new { path = folder });
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.UnprocessableEntity, $"swap to {folder}: HTTP {(int)response.StatusCode} {body}");
            Assert.Contains("model folder refused", body);
            Assert.Contains("still serving", body);

            // Queries go on between swaps: a swap that broke serving would show up as failures here.
            var answered = queries.Answered;
            await Eventually.AssertAsync(() =>
            {
                Assert.True(queries.Answered >= answered + 20, $"{queries.Answered - answered} queries answered since the swap");
                return Task.CompletedTask;
            }, TimeSpan.FromSeconds(60));
        }

        await queries.StopAsync();
        var faultSeconds = faultTime.Elapsed.TotalSeconds;
        Assert.Equal(before, await node.Http.GetStringAsync("/admin/model"));
        var sinceFaultEnd = Stopwatch.StartNew();
        await produce;
        await FaultVerdict.AssertRecoveredAsync("hot swap to corrupt model folders (x3)", "sqlite", stream, node.Http, options.Kafka.GroupId,
            context.Offline, sinceFaultEnd, faultSeconds, $"3 refused; queries meanwhile: {queries.Answered} answered, {queries.Failures.Count} failed");
        Assert.True(queries.Answered > 0, "no query was answered during the swaps");
        Assert.True(queries.Failures.Count == 0, $"{queries.Failures.Count} queries failed during the swaps, first: {queries.Failures.FirstOrDefault()}");
    }
}
