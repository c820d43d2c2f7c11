using System.Net;
using System.Net.Http.Json;
using Personalization.Node.Http;
using Personalization.Node.Http.Admin;
using Personalization.Tests.Cluster;
using Personalization.Tests.Engine;
using Personalization.Tests.Infrastructure;
using Xunit;

namespace Personalization.Tests.Experiments;

/// <summary>Experiments are the same on every node of a cluster (replicated with Akka.DistributedData), and so are their counts.</summary>
[Collection(PostgresCollection.Name)]
public sealed class ExperimentReplicationTests(PostgresFixture postgres, EngineTestContext context) : IClassFixture<EngineTestContext>
{
    private static readonly TimeSpan Spread = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_node_restarted_alone_serves_the_experiment_and_its_counts_from_its_durable_replica()
    {
        var topic = context.CreateTopic(2);
        var options = TestNode.CreateOptions(context.Broker.BootstrapServers, topic, 2, "sqlite", EngineTestContext.SqliteConnectionString());
        options.Cluster.Port = Node.Hosting.FreePorts.Next(); // the replica's directory is named after the remoting port
        options.Experiments.Impressions = false;
        await using (var first = await TestNode.StartAsync(options))
        {
            var created = await first.Http.PostAsJsonAsync("/admin/experiments", new CreateExperimentRequest(
                "durable", "ab", [new VariantRequest("control", 3, null, 5), new VariantRequest("other", 1, null, 3)], null, null, null, null),
                ExperimentJsonContext.Default.CreateExperimentRequest);
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await first.Http.PostAsync("/admin/experiments/durable/start", null)).StatusCode);
            await first.Http.GetFromJsonAsync("/users/durable-1/recommendations", ApiJsonContext.Default.RecommendationsDto);
            await Eventually.AssertAsync(async () =>
                Assert.Equal(1, (await first.Http.GetFromJsonAsync("/admin/experiments/durable/report", ExperimentJsonContext.Default.ExperimentReportDto))!.Variants.Sum(v => v.Impressions)));
            await first.StopAsync();
        }

        await using var second = await TestNode.StartAsync(options);
        await Eventually.AssertAsync(async () =>
        {
            var shown = await second.Http.GetFromJsonAsync("/admin/experiments/durable", ExperimentJsonContext.Default.ExperimentDto);
            Assert.True(shown!.Live);
            Assert.Equal([0.75, 0.25], shown.Variants.Select(v => v.Share));
        }, Spread);
        var report = (await second.Http.GetFromJsonAsync("/admin/experiments/durable/report", ExperimentJsonContext.Default.ExperimentReportDto))!;
        Assert.Equal(1, report.Variants.Sum(v => v.Impressions));
    }

    [Fact]
    public async Task An_experiment_started_on_one_node_assigns_every_user_alike_on_every_node_and_is_reported_from_any()
    {
        var topic = context.CreateTopic(LocalClusterHarness.Partitions);
        context.Broker.CreateTopic(topic + ".impressions", 2);
        var database = await postgres.Server.CreateDatabaseAsync("pz_" + Guid.NewGuid().ToString("N")[..12]);
        await using var cluster = LocalClusterHarness.Create(2, context.Broker.BootstrapServers, topic, database, o => o.Experiments.ImpressionsTopic = topic + ".impressions");
        await cluster.StartAllAsync();
        var (a, b) = (cluster.Node(0).Http, cluster.Node(1).Http);

        var created = await a.PostAsJsonAsync("/admin/experiments", new CreateExperimentRequest(
            "spread", "ab", [new VariantRequest("control", 1, null, null), new VariantRequest("weak", 1, RepositoryPaths.WeakModel, null)], null, null, null, null),
            ExperimentJsonContext.Default.CreateExperimentRequest);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await a.PostAsync("/admin/experiments/spread/start", null)).StatusCode);

        foreach (var node in new[] { a, b })
        {
            await Eventually.AssertAsync(async () =>
            {
                var shown = await node.GetFromJsonAsync("/admin/experiments/spread", ExperimentJsonContext.Default.ExperimentDto);
                Assert.True(shown!.Live && shown.ServingHere, shown.NodeError ?? "not live yet");
            }, Spread);
        }

        var users = Enumerable.Range(0, 20).Select(i => $"spread-{i}").ToArray();
        foreach (var user in users)
        {
            var onA = (await a.GetFromJsonAsync($"/users/{user}/recommendations?k=3", ApiJsonContext.Default.RecommendationsDto))!;
            var onB = (await b.GetFromJsonAsync($"/users/{user}/recommendations?k=3", ApiJsonContext.Default.RecommendationsDto))!;
            Assert.Equal(onA.Experiment, onB.Experiment);
            Assert.Equal(onA.Model, onB.Model);
        }

        await Eventually.AssertAsync(async () =>
        {
            var report = (await b.GetFromJsonAsync("/admin/experiments/spread/report", ExperimentJsonContext.Default.ExperimentReportDto))!;
            Assert.Equal(2 * users.Length, report.Variants.Sum(v => v.Impressions));
        }, Spread);

        Assert.Equal(HttpStatusCode.OK, (await b.PostAsync("/admin/experiments/spread/stop", null)).StatusCode);
        await Eventually.AssertAsync(async () =>
        {
            var answer = (await a.GetFromJsonAsync($"/users/{users[0]}/recommendations?k=3", ApiJsonContext.Default.RecommendationsDto))!;
            Assert.Null(answer.Experiment);
        }, Spread);
    }
}
