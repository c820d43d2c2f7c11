using System.Net;
using System.Net.Http.Json;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Personalization.Actors.Kafka.Producers;
using Personalization.Actors.Model;
using Personalization.Node.Http;
using Personalization.Tests.Infrastructure;
using Xunit;

namespace Personalization.Tests.Engine;

/// <summary>The whole path on one node: Kafka → sharded persistent users → ONNX steps → HTTP answers.</summary>
public sealed class EndToEndTests(EngineTestContext context) : IClassFixture<EngineTestContext>
{
    private static readonly TimeSpan ApplyTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Every_user_reflects_exactly_its_events_in_order_and_answers_match_the_offline_model()
    {
        var workload = SampleWorkload.Take(120);
        var topic = context.CreateTopic(partitions: 4);
        await using var node = await TestNode.StartAsync(TestNode.CreateOptions(context.Broker.BootstrapServers, topic, 4, "sqlite", EngineTestContext.SqliteConnectionString()));
        using var producer = new KafkaEventProducer(context.Broker.BootstrapServers, topic);

        await producer.ProduceManyAsync(workload.Events);

        await EngineAssertions.WaitUntilAllAppliedAsync(node.Http, workload, ApplyTimeout);
        await EngineAssertions.AssertMatchesOfflineReplayAsync(node.Http, workload, context.Offline);
    }

    [Fact]
    public async Task Recommendations_change_as_the_users_events_arrive()
    {
        var topic = context.CreateTopic(partitions: 2);
        await using var node = await TestNode.StartAsync(TestNode.CreateOptions(context.Broker.BootstrapServers, topic, 2, "sqlite", EngineTestContext.SqliteConnectionString()));
        var items = SampleWorkload.Take(1).ItemsByUser.Values.Single();

        var before = await node.Http.GetFromJsonAsync("/users/newcomer/recommendations?k=10", ApiJsonContext.Default.RecommendationsDto);
        Assert.True(before!.ColdStart);
        Assert.Equal(10, before.Items.Count);

        var answers = new List<RecommendationsDto>();
        foreach (var item in items.Take(3))
        {
            var post = await node.Http.PostAsync("/events", Json($$"""{"user":"newcomer","item":"{{item}}","type":"play"}"""));
            Assert.Equal(HttpStatusCode.Accepted, post.StatusCode);
            var expected = answers.Count + 1;
            RecommendationsDto? answer = null;
            await Eventually.AssertAsync(async () =>
            {
                answer = await node.Http.GetFromJsonAsync("/users/newcomer/recommendations?k=10", ApiJsonContext.Default.RecommendationsDto);
                Assert.Equal(expected, answer!.EventsReflected);
            });
            Assert.False(answer!.ColdStart);
            Assert.DoesNotContain(answer.Items, i => items.Take(expected).Contains(i.ItemId));
            answers.Add(answer);
        }

        Assert.NotEqual(answers[0].Items.Select(i => i.ItemId), answers[2].Items.Select(i => i.ItemId));
        var expectedTop = context.Offline.TopK(items.Take(3).ToList(), 10, EngineAssertions.RecentCapacity);
        Assert.Equal(expectedTop.Select(e => context.Offline.Vocabulary.IdAt(e.Index)), answers[2].Items.Select(i => i.ItemId));
    }

    [Fact]
    public async Task Records_produced_by_kcat_are_applied_and_a_poison_record_goes_to_the_DLQ_while_the_stream_goes_on()
    {
        var topic = context.CreateTopic(partitions: 3);
        await using var node = await TestNode.StartAsync(TestNode.CreateOptions(context.Broker.BootstrapServers, topic, 3, "sqlite", EngineTestContext.SqliteConnectionString()));
        var lines = new StringBuilder();
        lines.Append("kc-1:{\"user\":\"kc-1\",\"item\":\"1\",\"type\":\"play\"}\n");
        lines.Append("kc-1:{\"user\":\"kc-1\",\"item\":\"2\",\"type\":\"dance\"}\n"); // poison: unknown type
        lines.Append("kc-2:this is not json\n"); // poison: not JSON
        lines.Append("kc-1:{\"user\":\"kc-1\",\"item\":\"3\",\"type\":\"like\"}\n");
        lines.Append("kc-2:{\"user\":\"kc-2\",\"item\":\"5\",\"type\":\"play\"}\n");

        await Kcat.ProduceAsync(context.Broker.BootstrapServers, topic, lines.ToString());

        await Eventually.AssertAsync(async () =>
        {
            var s1 = await node.Http.GetFromJsonAsync("/users/kc-1/session", ApiJsonContext.Default.SessionDto);
            var s2 = await node.Http.GetFromJsonAsync("/users/kc-2/session", ApiJsonContext.Default.SessionDto);
            Assert.Equal(["1", "3"], s1!.RecentItems.Select(r => r.ItemId));
            Assert.Equal(["5"], s2!.RecentItems.Select(r => r.ItemId));
        }, ApplyTimeout);
        var dead = await Kcat.ConsumeAsync(context.Broker.BootstrapServers, DeadLetterProducer.DeadLetterTopicFor(topic), expected: 2);
        Assert.Contains(dead, d => d.Contains("unknown \"type\" \"dance\"") && d.Contains("\"item\":\"2\""));
        Assert.Contains(dead, d => d.Contains("malformed JSON") && d.Contains("this is not json"));
    }

    [Fact]
    public async Task Http_refuses_bad_input_with_a_reason()
    {
        var topic = context.CreateTopic(partitions: 1);
        await using var node = await TestNode.StartAsync(TestNode.CreateOptions(context.Broker.BootstrapServers, topic, 1, "sqlite", EngineTestContext.SqliteConnectionString()));

        await AssertBadRequest(await node.Http.PostAsync("/events", Json("""{"user":"u","type":"play"}""")), "missing \"item\"");
        await AssertBadRequest(await node.Http.PostAsync("/events", Json("""[{"user":"u","item":"1","type":"play"},{"user":"u","item":"2","type":"jump"}]""")), "event [1]");
        await AssertBadRequest(await node.Http.PostAsync("/events", Json("[]")), "no events");
        await AssertBadRequest(await node.Http.GetAsync("/users/u/recommendations?k=0"), "k must be an integer from 1 to 100");
        await AssertBadRequest(await node.Http.GetAsync("/users/u/recommendations?k=abc"), "k must be");
        await AssertBadRequest(await node.Http.GetAsync($"/users/{new string('x', 300)}/session"), "user id must be");

        // Nothing of the refused batch reached the user: it is all or nothing.
        var session = await node.Http.GetFromJsonAsync("/users/u/session", ApiJsonContext.Default.SessionDto);
        Assert.Equal(0, session!.EventCount);
    }

    [Fact]
    public async Task Health_and_metrics_endpoints_answer()
    {
        var topic = context.CreateTopic(partitions: 1);
        await using var node = await TestNode.StartAsync(TestNode.CreateOptions(context.Broker.BootstrapServers, topic, 1, "sqlite", EngineTestContext.SqliteConnectionString()));

        Assert.Equal(HttpStatusCode.OK, (await node.Http.GetAsync("/healthz/live")).StatusCode);
        var ready = await node.Http.GetFromJsonAsync("/healthz/ready", ApiJsonContext.Default.HealthDto);
        Assert.Equal("ready", ready!.Status);
        Assert.Equal("up", ready.Checks["cluster"]);
        Assert.StartsWith("consuming", ready.Checks["kafka"]);
        var metrics = await node.Http.GetStringAsync("/metrics");
        Assert.Contains("personalization_events_applied_total", metrics);
        Assert.Contains("personalization_recommendations_total", metrics);
    }

    [Fact]
    public async Task A_hot_swapped_model_answers_at_once_with_user_states_rebuilt_from_their_recent_items()
    {
        var workload = SampleWorkload.Take(20);
        var topic = context.CreateTopic(partitions: 2);
        await using var node = await TestNode.StartAsync(TestNode.CreateOptions(context.Broker.BootstrapServers, topic, 2, "sqlite", EngineTestContext.SqliteConnectionString()));
        using (var producer = new KafkaEventProducer(context.Broker.BootstrapServers, topic)) await producer.ProduceManyAsync(workload.Events);
        await EngineAssertions.WaitUntilAllAppliedAsync(node.Http, workload, ApplyTimeout);
        using var copy = Model.TestModelFolder.Copy();
        var manifest = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(copy.File("manifest.json")))!;
        manifest["version"] = "swapped-" + Guid.NewGuid().ToString("N")[..6];
        File.WriteAllText(copy.File("manifest.json"), manifest.ToJsonString());

        node.App.Services.GetRequiredService<ModelRegistry>().Load(copy.Path);

        // Same weights under a new version: every user rebuilds its state from the recent items it kept (all of its
        // items here, as these users have fewer than 50), so the answers equal the offline replay again.
        foreach (var (user, items) in workload.ItemsByUser.Where(u => u.Value.Count <= EngineAssertions.RecentCapacity))
        {
            var answer = await node.Http.GetFromJsonAsync($"/users/{user}/recommendations?k=10", ApiJsonContext.Default.RecommendationsDto);
            Assert.Equal(manifest["version"]!.GetValue<string>(), answer!.Model.Version);
            var expected = context.Offline.TopK(items, 10, EngineAssertions.RecentCapacity);
            Assert.Equal(expected.Select(e => context.Offline.Vocabulary.IdAt(e.Index)), answer.Items.Select(i => i.ItemId));
        }
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static async Task AssertBadRequest(HttpResponseMessage response, string reason)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(reason, await Problems.DetailAsync(response));
    }
}
