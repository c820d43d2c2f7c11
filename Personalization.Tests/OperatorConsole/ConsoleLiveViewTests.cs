using System.Net;
using System.Text;
using Confluent.Kafka;
using Personalization.Actors.Kafka.DeadLetters;
using Personalization.Actors.Routing;
using Personalization.Node.Http.Admin;
using Personalization.Node.OperatorConsole;
using Personalization.Tests.Infrastructure;
using Xunit;

namespace Personalization.Tests.OperatorConsole;

/// <summary>
/// The console's views into a running node: user inspect through the shard region, cluster tail as a server-sent
/// stream, the dead-letter topic shown and replayed at most once per DLQ offset, and the audit lines of what changes things.
/// </summary>
public sealed class ConsoleLiveViewTests(ConsoleNodeFixture nodes) : IClassFixture<ConsoleNodeFixture>
{
    private static readonly CancellationToken None = CancellationToken.None;

    private AdminClient Client => ConsoleNodeFixture.Client(nodes.Open);

    private string Topic => nodes.Open.Options.Kafka.Topic;

    private static string NewUser(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];

    [Fact]
    public async Task User_inspect_names_the_node_and_shard_and_shows_the_state_norm_the_top_items_and_no_pending_acks_once_durable()
    {
        var user = NewUser("inspect");
        var body = "[" + string.Join(",", new[] { "10", "11", "12" }.Select(i => $$"""{"user":"{{user}}","item":"{{i}}","type":"play"}""")) + "]";
        Assert.Equal(HttpStatusCode.Accepted, (await nodes.Open.Http.PostAsync("/events", new StringContent(body, Encoding.UTF8, "application/json"))).StatusCode);
        await Eventually.AssertAsync(async () =>
        {
            var session = await nodes.Open.SessionAsync(user);
            Assert.Equal(3, session.EventCount);
            Assert.Equal(session.AppliedOffsets, session.DurableOffsets);
        }, TimeSpan.FromSeconds(60));
        var self = (await Client.ClusterAsync(None)).Self;

        var first = await Client.InspectAsync(user, 5, None);
        var second = await Client.InspectAsync(user, 5, None);

        Assert.Equal(self, first.Node);
        Assert.Equal(self, first.AnsweredBy);
        Assert.Equal(KafkaPartitioner.PartitionFor(user, ConsoleNodeFixture.Partitions).ToString(System.Globalization.CultureInfo.InvariantCulture), first.Shard);
        Assert.Equal(3, first.Session.EventCount);
        Assert.Equal(64, first.StateSize);
        Assert.True(first.StateNorm > 0, "a user with three plays has a non-zero state");
        Assert.Empty(first.PendingAcks);
        Assert.Equal((false, 0, 0), (first.StepInFlight, first.EventsWaiting, first.EventsSinceCheckpoint));
        Assert.Equal("ranked", first.TopKSource); // nothing cached before: asked as a query, which caches it
        Assert.Equal("cached", second.TopKSource);
        Assert.Equal(5, first.TopK.Count);
        Assert.Equal(first.TopK, second.TopK);
        Assert.DoesNotContain(first.TopK, i => i.ItemId is "10" or "11" or "12"); // the user's own items are never recommended

        var (session, _, output) = ConsoleNodeFixture.Console(nodes.Open);
        Assert.Equal(ConsoleExitCodes.Ok, await session.ExecuteAsync(new UserInspectCommand(user, 5), None));
        var text = output.ToString();
        Assert.Contains($"user {user} lives on {self}, shard {first.Shard} (Kafka partition {first.Shard})", text);
        Assert.Contains($"state 64-d, L2 norm {first.StateNorm.ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture)}", text);
        Assert.Contains("pending acks: none", text);
        Assert.Contains("top 5 (the ranking the actor holds for its current state)", text);
    }

    [Fact]
    public async Task Cluster_tail_streams_the_current_membership_first_and_stops_on_its_stop_keys()
    {
        var self = (await Client.ClusterAsync(None)).Self;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var events = new List<ClusterEventDto>();
        await foreach (var e in Client.ClusterEventsAsync(cts.Token))
        {
            events.Add(e);
            if (events.Any(x => x.Kind == "member-up") && events.Any(x => x.Kind == "leader-changed")) break;
        }

        Assert.Contains(events, e => e is { Kind: "member-up", Status: "Up" } && e.Address == self);
        Assert.Contains(events, e => e.Kind == "leader-changed" && e.Address == self);

        var (session, _, output) = ConsoleNodeFixture.Console(nodes.Open);
        session.StopKeys = new StopAfter(TimeSpan.FromSeconds(2));
        var started = DateTime.UtcNow;
        Assert.Equal(ConsoleExitCodes.Ok, await session.ExecuteAsync(new ClusterTailCommand(), cts.Token));
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(20));
        Assert.Matches($@"\d\d:\d\d:\d\d\.\d{{3}}  member-up +{System.Text.RegularExpressions.Regex.Escape(self)} \(Up\)", output.ToString());
    }

    [Fact]
    public async Task A_corrected_dlq_record_is_replayed_once_however_often_it_is_replayed_and_its_user_applies_it()
    {
        var user = NewUser("dlq");
        var (position, record) = await DeadLetterAsync(user, $$"""{"user":"{{user}}","item":"42","type":"plya"}""");
        Assert.Contains("plya", record.Reason);
        Assert.Equal(Topic, record.SourceTopic);
        var file = Path.Combine(Path.GetTempPath(), $"pz-corrected-{Guid.NewGuid():N}.jsonl");
        await File.WriteAllTextAsync(file, $$"""
            # corrected by hand
            {"partition":{{position.Partition}},"offset":{{position.Offset}},"value":{"user":"{{user}}","item":"42","type":"play"},"reason":"ignored"}
            """);
        var (session, _, output) = ConsoleNodeFixture.Console(nodes.Open);

        try
        {
            Assert.Equal(ConsoleExitCodes.Ok, await session.ExecuteAsync(new DlqReplayCommand([], file), None));
            Assert.Equal(ConsoleExitCodes.Ok, await session.ExecuteAsync(new DlqReplayCommand([], file), None));
        }
        finally
        {
            File.Delete(file);
        }

        var again = await Client.ReplayAsync(new DlqReplayRequest([new DlqReplayItem(position.Partition, position.Offset)]), None);
        var text = output.ToString();
        Assert.Contains("1 replayed into", text);
        Assert.Contains("0 replayed into " + Topic + ", 1 replayed before (not produced again)", text);
        var outcome = Assert.Single(again.Records);
        Assert.Equal("already-replayed", outcome.Outcome);
        Assert.Equal(KafkaPartitioner.PartitionFor(user, ConsoleNodeFixture.Partitions), outcome.TargetPartition);

        // The user applies it once; the events topic holds it once, naming its DLQ offset.
        await Eventually.AssertAsync(async () => Assert.Equal(1, (await nodes.Open.SessionAsync(user)).EventCount), TimeSpan.FromSeconds(60));
        Assert.Single(ReplaysIn(outcome.TargetPartition!.Value, $"{Topic}.dlq:{position.Partition}:{position.Offset}"));
        var shown = (await Client.DlqAsync(100, None)).Records.Single(r => r.Partition == position.Partition && r.Offset == position.Offset);
        Assert.Equal((outcome.TargetPartition, outcome.TargetOffset, true), (shown.Replayed?.Partition, shown.Replayed?.Offset, shown.Replayed?.Corrected));
        Assert.Contains("Audit: dlq replay", nodes.OpenLogs.Text);
        Assert.Matches($@"Audit: dlq replay {position.Partition}:{position.Offset}\* by {System.Text.RegularExpressions.Regex.Escape(AdminClient.Operator)} \(loopback, no console token\) from 127\.0\.0\.1 at \d{{4}}-\d\d-\d\dT[\d:.]+Z: 1 replayed, 0 already replayed, 0 refused", nodes.OpenLogs.Text);
    }

    [Fact]
    public async Task Replays_of_the_same_dlq_offset_at_once_on_a_node_and_later_from_another_produce_it_once()
    {
        var user = NewUser("race");
        var (position, _) = await DeadLetterAsync(user, $$"""{"user":"{{user}}","item":"7","type":"like"}""", key: "someone-else");
        var corrected = $$"""{"user":"{{user}}","item":"7","type":"like"}""";
        var request = new DlqReplayRequest([new DlqReplayItem(position.Partition, position.Offset, corrected)]);

        // Four at once through the node's API: one at a time inside the node, so one produces and three find it in the ledger.
        var together = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Client.ReplayAsync(request, None)));
        // Then from "another node": a store of its own (its own producer and ledger read), the same transactional id.
        var later = await new DeadLetterStore(nodes.Broker.BootstrapServers, Topic).ReplayAsync([new ReplayRequest(position.Partition, position.Offset, corrected)], "test", None);

        Assert.Equal(1, together.Count(r => r.Records.Single().Outcome == "replayed"));
        Assert.Equal(3, together.Count(r => r.Records.Single().Outcome == "already-replayed"));
        Assert.Equal(ReplayOutcome.AlreadyReplayed, later.Single().Outcome);
        var target = KafkaPartitioner.PartitionFor(user, ConsoleNodeFixture.Partitions);
        Assert.Single(ReplaysIn(target, $"{Topic}.dlq:{position.Partition}:{position.Offset}"));
        await Eventually.AssertAsync(async () => Assert.Equal(1, (await nodes.Open.SessionAsync(user)).Likes), TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task A_replay_that_would_not_be_an_event_or_names_no_dlq_record_is_refused_and_produces_nothing()
    {
        var user = NewUser("refuse");
        var (position, _) = await DeadLetterAsync(user, "not json at all");
        var (other, _) = await DeadLetterAsync(user, "{\"user\":1");

        var result = await Client.ReplayAsync(new DlqReplayRequest(
        [
            new DlqReplayItem(position.Partition, position.Offset), // the original: still not an event
            new DlqReplayItem(other.Partition, other.Offset, $$"""{"user":"{{user}}","item":"1","type":"dance"}"""),
            new DlqReplayItem(position.Partition, 9_999_999),
            new DlqReplayItem(position.Partition, position.Offset), // named twice
        ]), None);

        Assert.All(result.Records, r => Assert.Equal("refused", r.Outcome));
        Assert.StartsWith("the original value is still not an event: malformed JSON", result.Records[0].Detail);
        Assert.StartsWith("the corrected value is not an event: unknown \"type\"", result.Records[1].Detail);
        Assert.Contains($"has no record at {position.Partition}/9999999", result.Records[2].Detail);
        Assert.StartsWith("named twice in this replay", result.Records[3].Detail);
        Assert.Empty(ReplaysIn(KafkaPartitioner.PartitionFor(user, ConsoleNodeFixture.Partitions), $"{Topic}.dlq:{position.Partition}:{position.Offset}"));
        Assert.DoesNotContain((await Client.DlqAsync(100, None)).Records, r => r.Replayed is not null && r.Key == user);
    }

    [Fact]
    public async Task Model_load_and_cluster_down_are_audited_with_who_and_when_also_when_refused()
    {
        using var bad = Personalization.Tests.Model.TestModelFolder.Copy();
        File.Delete(bad.File("step.onnx"));
        await Assert.ThrowsAsync<ConsoleFailure>(() => Client.LoadModelAsync(bad.Path, None));
        await Assert.ThrowsAsync<ConsoleFailure>(() => Client.ClusterActionAsync("down", "akka.tcp://personalization@10.9.9.9:4053", None));

        var who = System.Text.RegularExpressions.Regex.Escape(AdminClient.Operator);
        Assert.Matches($@"Warning Personalization\.Audit: Audit: model load {System.Text.RegularExpressions.Regex.Escape(bad.Path)} by {who} \(loopback, no console token\) from 127\.0\.0\.1 at \S+Z: refused: step\.onnx is missing", nodes.OpenLogs.Text);
        Assert.Matches($@"Audit: cluster down akka\.tcp://personalization@10\.9\.9\.9:4053 by {who} \(loopback, no console token\) from 127\.0\.0\.1 at \S+Z: refused: not a member", nodes.OpenLogs.Text);
        Assert.Equal("console token sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes("t0k")))[..12], AdminAudit.Credential(" t0k\n"));
    }

    /// <summary>Produces a record the node dead-letters and waits until the DLQ shows it; its DLQ position and the record.</summary>
    private async Task<(DlqOffset Position, DlqRecordDto Record)> DeadLetterAsync(string user, string value, string? key = null)
    {
        await KafkaTestKit.ProduceRawAsync(nodes.Broker.BootstrapServers, Topic, [(Encoding.UTF8.GetBytes(key ?? user), Encoding.UTF8.GetBytes(value), null)]);
        DlqRecordDto? found = null;
        await Eventually.AssertAsync(async () =>
        {
            found = (await Client.DlqAsync(1000, None)).Records.SingleOrDefault(r => r.Key == (key ?? user) && r.Value == value);
            Assert.NotNull(found);
        }, TimeSpan.FromSeconds(60));
        return (new DlqOffset(found!.Partition, found.Offset), found);
    }

    /// <summary>The committed records of one events partition whose replay header names <paramref name="coordinate"/>.</summary>
    private List<long> ReplaysIn(int partition, string coordinate)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = nodes.Broker.BootstrapServers,
            GroupId = "replay-check",
            EnableAutoCommit = false,
            EnablePartitionEof = true,
            IsolationLevel = IsolationLevel.ReadCommitted,
        }).Build();
        consumer.Assign(new TopicPartitionOffset(Topic, partition, Offset.Beginning));
        var found = new List<long>();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            var r = consumer.Consume(TimeSpan.FromMilliseconds(500));
            if (r is null) continue;
            if (r.IsPartitionEOF) break;
            if (r.Message.Headers.TryGetLastBytes(DeadLetterStore.ReplayOfHeader, out var h) && Encoding.UTF8.GetString(h) == coordinate) found.Add(r.Offset.Value);
        }

        return found;
    }

    private sealed class StopAfter(TimeSpan delay) : IStopKeys
    {
        public Task WaitAsync(CancellationToken ct) => Task.Delay(delay, ct);
    }
}
