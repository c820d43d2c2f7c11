using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Personalization.Actors.Hosting;
using Personalization.Actors.Persistence;
using Personalization.Tests.Engine;
using Personalization.Tests.Infrastructure;
using Xunit;

namespace Personalization.Tests.Persistence;

/// <summary>The journal as a persistent actor sees it: what it persisted comes back on recovery, as its latest checkpoint.</summary>
[Collection(PostgresCollection.Name)]
public sealed class CheckpointJournalTests(PostgresFixture postgres)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task A_new_incarnation_recovers_the_latest_checkpoint_and_its_sequence_number(string store)
    {
        var options = await CheckpointStores.CreateAsync(store, postgres);
        await using (var first = Start(options))
        {
            var actor = first.System.ActorOf(Checkpointer.Props("user-1"));
            foreach (var state in new[] { "a", "b", "c" }) Assert.Equal("stored", await actor.Ask<string>(new Save(state), Timeout));
        }

        await using var second = Start(options);
        var recovered = await second.System.ActorOf(Checkpointer.Props("user-1")).Ask<Status>(Get.Instance, Timeout);

        Assert.Equal(new Status("c", 3), recovered);
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task Of_an_atomic_write_of_several_events_the_last_is_kept(string store)
    {
        var options = await CheckpointStores.CreateAsync(store, postgres);
        await using (var first = Start(options))
            Assert.Equal("stored", await first.System.ActorOf(Checkpointer.Props("user-1")).Ask<string>(new SaveAll(["x", "y", "z"]), Timeout));

        await using var second = Start(options);

        Assert.Equal(new Status("z", 3), await second.System.ActorOf(Checkpointer.Props("user-1")).Ask<Status>(Get.Instance, Timeout));
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task After_a_deletion_nothing_is_replayed_and_sequence_numbers_continue(string store)
    {
        var options = await CheckpointStores.CreateAsync(store, postgres);
        await using (var first = Start(options))
        {
            var actor = first.System.ActorOf(Checkpointer.Props("user-1"));
            await actor.Ask<string>(new Save("a"), Timeout);
            await actor.Ask<string>(new Save("b"), Timeout);
            Assert.Equal("deleted", await actor.Ask<string>(new DeleteTo(2), Timeout));
        }

        await using var second = Start(options);
        var actor2 = second.System.ActorOf(Checkpointer.Props("user-1"));

        Assert.Equal(new Status(null, 2), await actor2.Ask<Status>(Get.Instance, Timeout));
        await actor2.Ask<string>(new Save("c"), Timeout);
        Assert.Equal(new Status("c", 3), await actor2.Ask<Status>(Get.Instance, Timeout));
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task Many_actors_writing_at_once_each_recover_their_own_checkpoint(string store)
    {
        const int users = 500;
        var options = await CheckpointStores.CreateAsync(store, postgres);
        await using (var first = Start(options))
        {
            var actors = Enumerable.Range(0, users).Select(i => first.System.ActorOf(Checkpointer.Props("user-" + i))).ToArray();
            await Task.WhenAll(actors.Select((a, i) => a.Ask<string>(new Save("first-" + i), Timeout)));
            await Task.WhenAll(actors.Select((a, i) => a.Ask<string>(new Save("second-" + i), Timeout)));
        }

        await using var second = Start(options);
        var recovered = await Task.WhenAll(Enumerable.Range(0, users).Select(i => second.System.ActorOf(Checkpointer.Props("user-" + i)).Ask<Status>(Get.Instance, Timeout)));

        Assert.Equal(Enumerable.Range(0, users).Select(i => new Status("second-" + i, 2)), recovered);
    }

    [Fact]
    public void A_connection_string_with_quotes_and_backslashes_reaches_the_plugin_intact()
    {
        var options = new CheckpointStoreOptions(CheckpointStoreProvider.PostgreSql, "Host=h;Password=a\"b\\c;Database=d");

        var config = ConfigurationFactory.ParseString(CheckpointStoreHostingExtensions.CheckpointJournalHocon(options));

        Assert.Equal(options.ConnectionString, config.GetString("akka.persistence.journal.checkpoint.connection-string"));
    }

    private static Node Start(CheckpointStoreOptions options)
    {
        var system = ActorSystem.Create("journal", ConfigurationFactory.ParseString(CheckpointStoreHostingExtensions.CheckpointJournalHocon(options)));
        // Start the scheduler from one thread: Akka 1.5.73's HashedWheelTimerScheduler, first used by hundreds of
        // recovering actors at once in a fresh system, can leave every caller waiting for a worker that never signals
        // (seen here: 89 threads in HashedWheelTimerScheduler.Start). A node's cluster daemons start it long before users.
        system.Scheduler.Advanced.ScheduleOnce(TimeSpan.FromMilliseconds(1), () => { });
        return new Node(system);
    }

    private sealed record Node(ActorSystem System) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await System.Terminate();
    }

    private sealed record Save(string State);

    private sealed record SaveAll(string[] States);

    private sealed record DeleteTo(long SequenceNr);

    private sealed class Get
    {
        public static readonly Get Instance = new();
    }

    private sealed record Status(string? State, long SequenceNr);

    /// <summary>A persistent actor whose every event is its whole state, like a user's checkpoint.</summary>
    private sealed class Checkpointer : ReceivePersistentActor
    {
        private string? _state;
        private IActorRef? _deleteRequester;

        public Checkpointer(string id)
        {
            PersistenceId = id;
            // As user actors do: the checkpoint journal is named, never the system's default.
            JournalPluginId = CheckpointJournal.PluginId;
            Recover<string>(state => _state = state);
            Command<Save>(save => Persist(save.State, state =>
            {
                _state = state;
                Sender.Tell("stored");
            }));
            Command<SaveAll>(save =>
            {
                var left = save.States.Length;
                PersistAll(save.States, state =>
                {
                    _state = state;
                    if (--left == 0) Sender.Tell("stored");
                });
            });
            Command<DeleteTo>(delete =>
            {
                _deleteRequester = Sender;
                DeleteMessages(delete.SequenceNr);
            });
            Command<DeleteMessagesSuccess>(_ => _deleteRequester?.Tell("deleted"));
            Command<DeleteMessagesFailure>(failure => _deleteRequester?.Tell(new Akka.Actor.Status.Failure(failure.Cause)));
            Command<Get>(_ => Sender.Tell(new Status(_state, LastSequenceNr)));
        }

        public override string PersistenceId { get; }

        // A failure reaches the asker with its cause instead of a silent stop and an ask timeout.
        protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
        {
            Sender.Tell(new Akka.Actor.Status.Failure(cause));
            base.OnPersistFailure(cause, @event, sequenceNr);
        }

        protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
        {
            Sender.Tell(new Akka.Actor.Status.Failure(cause));
            base.OnPersistRejected(cause, @event, sequenceNr);
        }

        protected override void OnRecoveryFailure(Exception reason, object? message = null)
        {
            Console.Error.WriteLine($"recovery of {PersistenceId} failed: {reason}");
            base.OnRecoveryFailure(reason, message);
        }

        public static Props Props(string id) => Akka.Actor.Props.Create(() => new Checkpointer(id));
    }
}
