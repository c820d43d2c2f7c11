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
/// A user actor restores its session from the latest <see cref="UserCheckpoint"/> its journal holds. In-memory journal
/// (keeps every event, so the latest must win over older ones), checkpoints through the protobuf serializer.
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
        var session = new SessionRecord("any", 4);
        for (var i = 0; i < events; i++)
            session.Apply(_vocabulary.IdAt(1 + i), i % 3 == 0 ? EventType.Like : EventType.Play, 1_000 + i, i % 2, 100 + i);
        session.SetModelState([events, -0.5f, 2f], "gru", "v1", events);
        return session.ToCheckpoint();
    }

    private void AssertRestored(string userId, UserCheckpoint expected)
    {
        var user = Sys.ActorOf(UserSessionActor.PropsFor(new UserSessionSettings { RecentItems = 4, JournalPluginId = "akka.persistence.journal.inmem" }, _models), Uri.EscapeDataString(userId));
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

    /// <summary>Writes a user's journal as the user actor does: one checkpoint event after another.</summary>
    private sealed class CheckpointWriter : ReceivePersistentActor
    {
        public CheckpointWriter(string persistenceId)
        {
            PersistenceId = persistenceId;
            Command<UserCheckpoint>(checkpoint =>
            {
                var replyTo = Sender;
                Persist(checkpoint, _ => replyTo.Tell("persisted"));
            });
        }

        public override string PersistenceId { get; }
    }
}
