using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Personalization.Actors.Events;
using Personalization.Actors.Model;
using Personalization.Actors.Sessions;
using Personalization.Tests.Model;
using Xunit;

namespace Personalization.Tests.Sessions;

/// <summary>
/// A user actor restores its session from what the store holds: the latest <see cref="UserCheckpoint"/> event, or a
/// snapshot offer carrying a checkpoint (stores written when checkpoints were compacted into snapshots), followed by
/// the checkpoints persisted after it. In-memory journal and snapshot store, checkpoints through the protobuf serializer.
/// </summary>
public sealed class UserSessionRecoveryTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly Config Hocon = ConfigurationFactory.ParseString(UserMailbox.Hocon + "\n" + """
        akka.actor.provider = cluster
        akka.remote.dot-netty.tcp.hostname = 127.0.0.1
        akka.remote.dot-netty.tcp.port = 0
        akka.actor.serializers.personalization = "Personalization.Actors.Serialization.PersonalizationSerializer, Personalization.Actors"
        akka.actor.serialization-bindings { "Personalization.Actors.Sessions.UserCheckpoint, Personalization.Actors" = personalization }
        akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
        akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
        """);

    private readonly ModelRegistry _models = new();
    private readonly ItemVocabulary _vocabulary;

    public UserSessionRecoveryTests() : base(Hocon)
    {
        _vocabulary = _models.Load(TestModelFolder.Path).Vocabulary;
    }

    [Fact]
    public void The_latest_checkpoint_event_is_restored()
    {
        var writer = WriterFor("u-events");
        Persist(writer, Checkpoint(3));
        Persist(writer, Checkpoint(7));

        AssertRestored("u-events", Checkpoint(7));
    }

    [Fact]
    public void A_snapshot_offer_carrying_a_checkpoint_is_restored()
    {
        var writer = WriterFor("u-snapshot");
        Persist(writer, Checkpoint(2));
        Persist(writer, Checkpoint(5));
        writer.Tell(new SnapshotAndCompact(Checkpoint(5)), TestActor);
        ExpectMsg("compacted");

        AssertRestored("u-snapshot", Checkpoint(5));
    }

    [Fact]
    public void Checkpoints_persisted_after_a_snapshot_win_over_it()
    {
        var writer = WriterFor("u-both");
        Persist(writer, Checkpoint(4));
        writer.Tell(new SnapshotAndCompact(Checkpoint(4)), TestActor);
        ExpectMsg("compacted");
        Persist(writer, Checkpoint(6));
        Persist(writer, Checkpoint(9));

        AssertRestored("u-both", Checkpoint(9));
    }

    [Fact]
    public void A_user_whose_id_needs_escaping_is_the_one_its_name_spells()
    {
        // Sharding names an entity Uri.EscapeDataString(id): the actor takes its user id from that name.
        const string UserId = "ü ser/42%x";
        var writer = WriterFor(UserId);
        Persist(writer, Checkpoint(2));

        AssertRestored(UserId, Checkpoint(2));
    }

    protected override void AfterAll()
    {
        base.AfterAll();
        _models.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    private IActorRef WriterFor(string userId) => Sys.ActorOf(Props.Create(() => new CheckpointWriter(UserSessionActor.PersistenceIdFor(userId))));

    private void Persist(IActorRef writer, UserCheckpoint checkpoint)
    {
        writer.Tell(checkpoint, TestActor);
        ExpectMsg("persisted");
    }

    /// <summary>A session after <paramref name="events"/> events (real item ids, two partitions), with a model state.</summary>
    private UserCheckpoint Checkpoint(int events)
    {
        var session = new UserSession("any", 4);
        for (var i = 0; i < events; i++)
            session.Apply(_vocabulary.IdAt(1 + i), i % 3 == 0 ? EventType.Like : EventType.Play, 1_000 + i, i % 2, 100 + i);
        session.SetModelState([events, -0.5f, 2f], "gru", "v1", events);
        return session.ToCheckpoint();
    }

    private void AssertRestored(string userId, UserCheckpoint expected)
    {
        var user = Sys.ActorOf(UserSessionActor.PropsFor(new UserSessionSettings { RecentItems = 4 }, _models), Uri.EscapeDataString(userId));
        user.Tell(new GetSession(userId), TestActor);
        var view = ExpectMsg<SessionView>();

        Assert.Equal(userId, view.UserId);
        Assert.Equal(expected.EventCount, view.EventCount);
        Assert.Equal((expected.Plays, expected.Likes), (view.Plays, view.Likes));
        Assert.Equal((expected.FirstEventAt, expected.LastEventAt), (view.FirstEventAt, view.LastEventAt));
        Assert.Equal(expected.Recent, view.Recent);
        Assert.Equal((expected.ModelVersion, expected.ModelSteps), (view.ModelVersion, view.ModelSteps));
        Assert.Equal(expected.AppliedOffsets, view.AppliedOffsets);
        // What was restored is durable: it came from the store.
        Assert.Equal(expected.AppliedOffsets, view.DurableOffsets);
    }

    private sealed record SnapshotAndCompact(UserCheckpoint Checkpoint);

    /// <summary>Writes a user's journal the way older and newer engines did: checkpoints, a snapshot, deleted events.</summary>
    private sealed class CheckpointWriter : ReceivePersistentActor
    {
        private IActorRef? _replyTo;

        public CheckpointWriter(string persistenceId)
        {
            PersistenceId = persistenceId;
            Command<UserCheckpoint>(checkpoint =>
            {
                var replyTo = Sender;
                Persist(checkpoint, _ => replyTo.Tell("persisted"));
            });
            Command<SnapshotAndCompact>(request =>
            {
                _replyTo = Sender;
                SaveSnapshot(request.Checkpoint);
            });
            Command<SaveSnapshotSuccess>(success => DeleteMessages(success.Metadata.SequenceNr));
            Command<DeleteMessagesSuccess>(_ => _replyTo!.Tell("compacted"));
        }

        public override string PersistenceId { get; }
    }
}
