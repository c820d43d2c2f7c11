using System.Diagnostics;
using System.Net.Http.Json;
using Personalization.Actors.Events;
using Personalization.Actors.Kafka.Producers;
using Personalization.Node.Http;
using Personalization.Tests.Engine;
using Personalization.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Personalization.Tests.Cluster;

/// <summary>The availability topic on a cluster of three node processes: every node reads it whole and applies it to every answer it gives.</summary>
[Collection(PostgresCollection.Name)]
public sealed class AvailabilityClusterTests(PostgresFixture postgres, EngineTestContext context, ITestOutputHelper output) : IClassFixture<EngineTestContext>
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan WithinSeconds = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_withdrawn_item_vanishes_from_every_nodes_answers_and_comes_back_on_every_node_when_re_enabled()
    {
        var topic = context.CreateTopic(LocalClusterHarness.Partitions);
        var availabilityTopic = topic + "-availability"; // the nodes' Kafka:AvailabilityTopic (TestNode.CreateOptions)
        context.Broker.CreateTopic(availabilityTopic, 3);
        context.Broker.CreateTopic(DeadLetterProducer.DeadLetterTopicFor(availabilityTopic), 1);
        var database = await postgres.Server.CreateDatabaseAsync("pz_" + Guid.NewGuid().ToString("N")[..12]);
        await using var cluster = LocalClusterHarness.Create(3, context.Broker.BootstrapServers, topic, database);
        await cluster.StartAllAsync();
        await cluster.WaitUntilShardsFollowPartitionsAsync(Settle);
        Assert.Equal(availabilityTopic, cluster.Options(0).Kafka.AvailabilityTopic);

        // One user in every partition, so on every node, all with the same history: one ranking, whoever hosts the user.
        // Every node is asked for every user: its own users through its serving lane, the others through their actors.
        var users = Enumerable.Range(0, LocalClusterHarness.Partitions).Select(p => LocalClusterHarness.UserOfPartition(p, "avail")).ToArray();
        var history = ListeningUsers.ModelItems.Skip(200).Take(5).ToArray();
        using (var producer = new KafkaEventProducer(cluster.Bootstrap, cluster.Topic))
            await producer.ProduceManyAsync(users.SelectMany(u => history.Select(item => new ListeningEvent(u, item, EventType.Play, 0))));
        await Eventually.AssertAsync(async () =>
        {
            foreach (var user in users)
                Assert.Equal(history.Length, (await cluster.Node(0).Http.GetFromJsonAsync($"/users/{user}/session", ApiJsonContext.Default.SessionDto))!.EventCount);
        }, Settle, TimeSpan.FromMilliseconds(250));
        var before = await ListeningUsers.RecommendAsync(cluster.Node(0).Http, users[0], 10);
        await EveryNodeAnswersAsync(cluster, users, answer => Assert.Equal(before, answer));
        var withdrawn = before[0];

        var clock = Stopwatch.StartNew();
        await Kcat.ProduceAsync(cluster.Bootstrap, availabilityTopic, $$"""{{withdrawn}}:{"item":"{{withdrawn}}","available":false,"reason":"licensing"}""" + "\n");

        await Eventually.AssertAsync(() => EveryNodeAnswersAsync(cluster, users, answer =>
        {
            Assert.DoesNotContain(withdrawn, answer);
            Assert.Equal(before.Skip(1), answer.Take(9));
            Assert.Equal(10, answer.Length);
        }), WithinSeconds, TimeSpan.FromMilliseconds(50));
        output.WriteLine($"withdrawn from every answer of the 3 nodes {clock.ElapsedMilliseconds} ms after kcat returned");

        clock.Restart();
        await Kcat.ProduceAsync(cluster.Bootstrap, availabilityTopic, $$"""{{withdrawn}}:{"item":"{{withdrawn}}","available":true}""" + "\n");

        await Eventually.AssertAsync(() => EveryNodeAnswersAsync(cluster, users, answer => Assert.Equal(before, answer)), WithinSeconds, TimeSpan.FromMilliseconds(50));
        output.WriteLine($"back in every answer of the 3 nodes {clock.ElapsedMilliseconds} ms after kcat returned");
    }

    private static async Task EveryNodeAnswersAsync(LocalClusterHarness cluster, string[] users, Action<string[]> assert)
    {
        foreach (var node in cluster.Live)
        foreach (var user in users)
            assert(await ListeningUsers.RecommendAsync(node.Http, user, 10));
    }
}
