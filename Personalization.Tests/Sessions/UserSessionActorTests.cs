using System.Collections.Immutable;
using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Akka.Persistence.Journal;
using Akka.TestKit;
using Personalization.Actors.Delivery;
using Personalization.Actors.Events;
using Personalization.Actors.Model;
using Personalization.Actors.Sessions;
using Xunit;

namespace Personalization.Tests.Sessions;

/// <summary>
/// The message flows of a user actor, end to end through Akka: it carries out what the session decides (steps via
/// PipeTo, PersistAsync, timers, acks to the source, replies, stopping). A fake model; an in-memory journal whose
/// writes a test can hold back, to catch the actor while a checkpoint is being written.
/// </summary>
public sealed class UserSessionActorTests : Akka.TestKit.Xunit2.TestKit
{
    private const string JournalId = "akka.persistence.journal.gated";

    private static readonly Config Hocon = ConfigurationFactory.ParseString(UserMailbox.Hocon + "\n" + $$"""
        akka.actor.provider = cluster
        akka.remote.dot-netty.tcp.hostname = 127.0.0.1
        akka.remote.dot-netty.tcp.port = 0
        akka.test.single-expect-default = 10s
        {{JournalId}} {
          class = "{{typeof(GatedJournal).AssemblyQualifiedName}}"
          plugin-dispatcher = "akka.actor.default-dispatcher"
        }
        """);

    private static readonly UserSessionSettings Settings = new()
    {
        JournalPluginId = JournalId,
        CheckpointInterval = TimeSpan.FromMilliseconds(100),
        StepRetryDelay = TimeSpan.FromMilliseconds(50),
    };

    private readonly SwappableModels _models = new(new FakeModel("v1"));
    private readonly TestProbe _source;

    public UserSessionActorTests() : base(Hocon)
    {
        _source = CreateTestProbe("source");
        GatedJournal.Open();
    }

    private IActorRef User(string id) => Sys.ActorOf(UserSessionActor.PropsFor(Settings, _models), id);

    private ApplyEvent Event(string user, long offset, string item = "i1", long previous = -1) =>
        new(user, item, EventType.Play, 1_700_000_000_000, new DeliveryTag(0, offset, previous, _source.Ref));

    private SessionView SessionOf(IActorRef user, string id)
    {
        user.Tell(new GetSession(id), TestActor);
        return ExpectMsg<SessionView>();
    }

    [Fact]
    public void A_users_actor_publishes_its_serving_view_after_each_applied_event_and_withdraws_it_when_it_stops()
    {
        var board = new Personalization.Actors.Serving.ServingBoard();
        var user = Sys.ActorOf(UserSessionActor.PropsFor(Settings, _models, board), "u-view");

        user.Tell(Event("u-view", 0, "i1"));
        AwaitAssert(() => Assert.Equal(1, board.TryGet("u-view", out var v) ? v.EventCount : -1));
        user.Tell(Event("u-view", 1, "i2", previous: 0));
        AwaitAssert(() => Assert.Equal(2, board.TryGet("u-view", out var v) ? v.EventCount : -1));

        Watch(user);
        user.Tell(StopUser.Instance);
        ExpectTerminated(user);
        Assert.False(board.TryGet("u-view", out _));
    }

    [Fact]
    public void Applied_events_are_acknowledged_to_their_source_once_their_checkpoint_is_durable()
    {
        var user = User("u-ack");
        user.Tell(Event("u-ack", 0, "i1"));
        user.Tell(Event("u-ack", 1, "i2", previous: 0));

        var acked = _source.ExpectMsg<EventsDurable>();
        while (acked.Offsets.Length < 2) acked = acked with { Offsets = [.. acked.Offsets, .. _source.ExpectMsg<EventsDurable>().Offsets] };
        Assert.Equal([0L, 1L], acked.Offsets.Order());
        Assert.Equal([(0, 1L)], SessionOf(user, "u-ack").DurableOffsets);
    }

    [Fact]
    public void A_failed_model_step_is_retried_and_the_events_are_applied_once_in_order()
    {
        ((FakeModel)_models.Current).FailSteps = 2;
        var user = User("u-retry");
        user.Tell(Event("u-retry", 0, "i3"));
        user.Tell(Event("u-retry", 1, "i4", previous: 0));

        AwaitAssert(() => Assert.Equal(2, SessionOf(user, "u-retry").EventCount), TimeSpan.FromSeconds(10));
        var view = SessionOf(user, "u-retry");
        Assert.Equal(["i3", "i4"], view.Recent.Select(r => r.ItemId));
        Assert.Equal(2, view.ModelSteps);
    }

    [Fact]
    public void An_event_after_a_lost_predecessor_asks_its_source_to_read_the_partition_again()
    {
        var user = User("u-gap");

        user.Tell(Event("u-gap", 8, previous: 5));

        Assert.Equal(new RedeliveryNeeded(0), _source.ExpectMsg<RedeliveryNeeded>());
        Assert.Equal(0, SessionOf(user, "u-gap").EventCount);
    }

    [Fact]
    public void A_stopped_user_checkpoints_acknowledges_and_stops()
    {
        var user = User("u-stop");
        Watch(user);
        user.Tell(Event("u-stop", 0));
        AwaitAssert(() => Assert.Equal(1, SessionOf(user, "u-stop").EventCount));

        user.Tell(StopUser.Instance);

        Assert.Equal([0L], _source.ExpectMsg<EventsDurable>().Offsets);
        ExpectTerminated(user);
    }

    [Fact]
    public void A_restarted_user_resumes_from_its_checkpoint_and_skips_what_it_covers()
    {
        var first = User("u-again");
        Watch(first);
        first.Tell(Event("u-again", 0, "i5"));
        first.Tell(StopUser.Instance);
        _source.ExpectMsg<EventsDurable>();
        ExpectTerminated(first);

        var second = User("u-again");
        second.Tell(Event("u-again", 0, "i5")); // redelivered

        Assert.Equal([0L], _source.ExpectMsg<EventsDurable>().Offsets);
        Assert.Equal(1, SessionOf(second, "u-again").EventCount);
    }

    [Fact]
    public void A_redelivery_that_arrives_while_its_checkpoint_is_written_is_acknowledged_when_the_write_completes()
    {
        var user = User("u-dup");
        GatedJournal.Close();
        user.Tell(Event("u-dup", 0));
        AwaitCondition(() => GatedJournal.Held > 0, TimeSpan.FromSeconds(10)); // its checkpoint write is in flight

        user.Tell(Event("u-dup", 0)); // a redelivery of the event being checkpointed
        SessionOf(user, "u-dup"); // …has been handled
        GatedJournal.Open();

        var acked = _source.ExpectMsg<EventsDurable>().Offsets.ToList();
        if (acked.Count < 2) acked.AddRange(_source.ExpectMsg<EventsDurable>().Offsets);
        Assert.Equal([0L, 0L], acked);
    }

    [Fact]
    public void After_a_model_swap_in_which_no_recent_item_advances_the_new_model_a_query_is_answered()
    {
        var user = User("u-swap");
        user.Tell(Event("u-swap", 0, "i2"));
        AwaitAssert(() => Assert.Equal(1, SessionOf(user, "u-swap").ModelSteps));
        _models.Current = new FakeModel("v2", items: 0, "other-1", "other-2");

        user.Tell(new GetRecommendations("u-swap", 2), TestActor);

        var answer = ExpectMsg<Recommendations>();
        Assert.Equal("v2", answer.ModelVersion);
        Assert.Equal(["other-2", "other-1"], answer.Items.Select(i => i.ItemId));
    }

    /// <summary>
    /// Companion states end to end with two real model folders (the shipped one, and a copy under another version):
    /// the user served by the shipped model keeps the copy's state beside its own, and its answer with that companion
    /// is the answer of a user whose session is served by the copy directly, after the same events (a skip and an item
    /// the model does not know among them) — from the actor and, off the actor, from its serving view.
    /// </summary>
    [Fact]
    public async Task A_companion_answer_equals_the_answer_of_a_session_served_by_that_model_after_the_same_events()
    {
        using var copy = Model.TestModelFolder.Copy();
        var manifest = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(copy.File("manifest.json")))!;
        manifest["version"] = "companion-" + Guid.NewGuid().ToString("N")[..6];
        File.WriteAllText(copy.File("manifest.json"), manifest.ToJsonString());
        await using var shipped = new ModelRegistry();
        var serving = shipped.Load(Model.TestModelFolder.Path);
        shipped.SetCompanions([new CompanionSpec("candidate", copy.Path)]);
        var companion = shipped.Companions.Single().Runtime;
        var key = ModelKey.Of(companion);
        await using var direct = new ModelRegistry();
        direct.Load(copy.Path);
        var board = new Personalization.Actors.Serving.ServingBoard();
        var user = Sys.ActorOf(UserSessionActor.PropsFor(Settings, shipped, board), "u-companion");
        var reference = Sys.ActorOf(UserSessionActor.PropsFor(Settings, direct), "u-direct");
        var items = new[] { 17, 230, 1200, 5, 9000, 23000, 42, 777 }.Select(serving.Vocabulary.IdAt).ToList();
        items.Insert(3, "not-an-item-of-the-model");
        for (var i = 0; i < items.Count; i++)
        {
            var type = i == 5 ? EventType.Skip : EventType.Play;
            user.Tell(new ApplyEvent("u-companion", items[i], type, 1_700_000_000_000 + i, new DeliveryTag(0, i, i - 1, _source.Ref)));
            reference.Tell(new ApplyEvent("u-direct", items[i], type, 1_700_000_000_000 + i, new DeliveryTag(1, i, i - 1, _source.Ref)));
        }

        Recommendations answer = null!;
        await AwaitAssertAsync(async () =>
        {
            answer = await user.Ask<Recommendations>(new GetRecommendations("u-companion", 10, key), TimeSpan.FromSeconds(10));
            Assert.Equal(items.Count, answer.EventsReflected);
        }, TimeSpan.FromSeconds(20));
        await AwaitAssertAsync(async () => Assert.Equal(items.Count, (await reference.Ask<SessionView>(new GetSession("u-direct"), TimeSpan.FromSeconds(10))).EventCount));
        var expected = await reference.Ask<Recommendations>(new GetRecommendations("u-direct", 10), TimeSpan.FromSeconds(10));

        Assert.False(answer.ColdStart);
        Assert.Equal((companion.Name, companion.Version), (answer.ModelName, answer.ModelVersion));
        Assert.Equal((expected.ModelName, expected.ModelVersion), (answer.ModelName, answer.ModelVersion));
        Assert.Equal(expected.Items.Select(i => i.ItemId), answer.Items.Select(i => i.ItemId));
        Assert.All(expected.Items.Zip(answer.Items), p => Assert.Equal(p.First.Score, p.Second.Score, 1e-4f));
        Assert.DoesNotContain(answer.Items, i => items.Contains(i.ItemId));
        var own = await user.Ask<Recommendations>(new GetRecommendations("u-companion", 10), TimeSpan.FromSeconds(10));
        Assert.Equal(serving.Version, own.ModelVersion); // the user is still served by its own model

        var inspection = await user.Ask<UserInspection>(new InspectUser("u-companion", 3), TimeSpan.FromSeconds(10));
        var shown = Assert.Single(inspection.Companions);
        Assert.Equal((companion.Name, companion.Version, (long)items.Count - 2, (long)items.Count, false),
            (shown.ModelName, shown.ModelVersion, shown.ModelSteps, shown.EventsReflected, shown.Building));

        var lane = new Personalization.Actors.Serving.ServingLane(board, shipped);
        var offActor = await lane.TryAnswerAsync("u-companion", 10, key);
        Assert.NotNull(offActor);
        Assert.Equal(answer.Items, offActor!.Items);
        Assert.Equal(answer.EventsReflected, offActor.EventsReflected);

        var unknown = await Assert.ThrowsAsync<UnknownCompanionException>(() =>
            user.Ask<Recommendations>(new GetRecommendations("u-companion", 10, new ModelKey("gru-games", "no-such-version")), TimeSpan.FromSeconds(10)));
        Assert.Contains($"its companion models are {key}", unknown.Message);
    }

    private sealed class SwappableModels(IModelRuntime current) : IModelProvider
    {
        public volatile IModelRuntime Current = current;

        public IModelRuntime ForUser(string userId) => Current;
    }

    /// <summary>The in-memory journal, whose writes wait while the gate is closed.</summary>
    public sealed class GatedJournal : MemoryJournal
    {
        private static volatile TaskCompletionSource _gate = Opened();
        private static int _held;

        public static int Held => Volatile.Read(ref _held);

        public static void Close() => _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        public static void Open() => _gate.TrySetResult();

        private static TaskCompletionSource Opened()
        {
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            gate.SetResult();
            return gate;
        }

        protected override async Task<IImmutableList<Exception?>> WriteMessagesAsync(IEnumerable<AtomicWrite> messages, CancellationToken cancellationToken)
        {
            var gate = _gate;
            if (!gate.Task.IsCompleted)
            {
                Interlocked.Increment(ref _held);
                await gate.Task.ConfigureAwait(false);
                Interlocked.Decrement(ref _held);
            }

            return await base.WriteMessagesAsync(messages, cancellationToken).ConfigureAwait(false);
        }
    }
}
