using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit.Xunit2;
using Personalization.Actors.Delivery;
using Personalization.Actors.Events;
using Personalization.Actors.Model;
using Personalization.Actors.Serialization;
using Personalization.Actors.Sessions;
using Xunit;

namespace Personalization.Tests.Serialization;

public class PersonalizationSerializerTests() : TestKit(ConfigurationFactory.ParseString("akka.actor.provider = remote\nakka.remote.dot-netty.tcp.port = 0"))
{
    private PersonalizationSerializer Serializer => new((ExtendedActorSystem)Sys);

    private T RoundTrip<T>(T message)
        where T : notnull
    {
        var bytes = Serializer.ToBinary(message);
        return (T)Serializer.FromBinary(bytes, Serializer.Manifest(message));
    }

    [Fact]
    public void ApplyEvent_keeps_every_field_and_its_reply_address()
    {
        var probe = CreateTestProbe();
        var evt = new ApplyEvent("user-7", "item-3", EventType.AddToPlaylist, 1_732_500_000_123,
            new DeliveryTag(5, 987_654_321_000, 987_654_320_998, probe.Ref));

        var back = RoundTrip(evt);

        Assert.Equal(evt with { Delivery = evt.Delivery with { AckTo = null } }, back with { Delivery = back.Delivery with { AckTo = null } });
        back.Delivery.AckTo!.Tell("ping");
        probe.ExpectMsg("ping");
    }

    [Fact]
    public void ApplyEvent_without_reply_address_stays_without() =>
        Assert.Null(RoundTrip(new ApplyEvent("u", "i", EventType.Play, 1)).Delivery.AckTo);

    [Fact]
    public void A_checkpoint_keeps_state_recent_items_and_offsets()
    {
        var checkpoint = new UserCheckpoint(
            [1.5f, -2f, float.Epsilon], "gru", "v3", 42, 50, 40, 5, 3, 2, 1000, 2000,
            [new RecentItem("a", EventType.Play, 1000), new RecentItem("b", EventType.Skip, 2000)],
            [(3, 77L), (4, 5L)]);

        var back = RoundTrip(checkpoint);

        Assert.Equal(checkpoint.State, back.State);
        Assert.Equal(checkpoint.Recent, back.Recent);
        Assert.Equal(checkpoint.AppliedOffsets, back.AppliedOffsets);
        Assert.Equal(checkpoint with { State = null, Recent = [], AppliedOffsets = [] }, back with { State = null, Recent = [], AppliedOffsets = [] });
    }

    [Fact]
    public void A_checkpoint_of_a_user_without_model_state_has_none_after()
    {
        var checkpoint = new UserCheckpoint(null, null, null, 0, 1, 0, 1, 0, 0, 5, 5, [new RecentItem("x", EventType.Skip, 5)], [(0, 1L)]);
        var back = RoundTrip(checkpoint);
        Assert.Null(back.State);
        Assert.Null(back.ModelVersion);
    }

    [Fact]
    public void Queries_and_answers_survive_the_wire()
    {
        Assert.Equal(new GetRecommendations("u", 25), RoundTrip(new GetRecommendations("u", 25)));
        Assert.Equal(new GetSession("u"), RoundTrip(new GetSession("u")));
        Assert.Equal(new GetRecommendations("u", 5, new ModelKey("gru-games", "2026-11-25.1")), RoundTrip(new GetRecommendations("u", 5, new ModelKey("gru-games", "2026-11-25.1"))));
        Assert.Null(RoundTrip(new GetRecommendations("u", 5)).Companion);
        var answer = new Recommendations("u", [new RecommendedItem("a", 0.5f), new RecommendedItem("b", 0.25f)], "gru", "v1", 12, false);
        var back = RoundTrip(answer);
        Assert.Equal(answer.Items, back.Items);
        Assert.Equal(answer with { Items = [] }, back with { Items = [] });
        var durable = RoundTrip(new EventsDurable(3, [5, 7, 9]));
        Assert.Equal(3, durable.Partition);
        Assert.Equal([5L, 7L, 9L], durable.Offsets);
        Assert.Same(StopUser.Instance, RoundTrip(StopUser.Instance));
    }

    [Fact]
    public void An_inspection_and_its_request_survive_the_wire()
    {
        Assert.Equal(new InspectUser("u", 7), RoundTrip(new InspectUser("u", 7)));
        var session = new SessionView("u", 3, 2, 1, 0, 0, 1000, 3000, [new RecentItem("a", EventType.Play, 1000)], "v1", 2, [(1, 41L)], [(1, 40L)]);
        var inspection = new UserInspection(session, "akka.tcp://personalization@10.0.0.7:4053", "1", "gru", 64, 1.25,
            [new PendingAcks(1, 1, 41, 41)], 2, true, 1, 1, true, [new RecommendedItem("b", 0.5f)],
            [new CompanionInspection("gru-games", "v2", 12, 14, false), new CompanionInspection("shadow", "1", 0, 0, true)]);

        var back = RoundTrip(inspection);

        Assert.Equal(inspection.PendingAcks, back.PendingAcks);
        Assert.Equal(inspection.TopK, back.TopK);
        Assert.Equal(session.Recent, back.Session.Recent);
        Assert.Equal(session.AppliedOffsets, back.Session.AppliedOffsets);
        Assert.Equal(session.DurableOffsets, back.Session.DurableOffsets);
        Assert.Equal(session with { Recent = [], AppliedOffsets = [], DurableOffsets = [] },
            back.Session with { Recent = [], AppliedOffsets = [], DurableOffsets = [] });
        Assert.Equal(inspection.Companions, back.Companions);
        Assert.Equal(inspection with { Session = session, PendingAcks = [], TopK = [], Companions = [] }, back with { Session = session, PendingAcks = [], TopK = [], Companions = [] });
        Assert.Null(RoundTrip(inspection with { ModelName = null }).ModelName);
    }

    [Fact]
    public void An_unknown_manifest_is_refused_with_its_name()
    {
        var e = Assert.Throws<System.Runtime.Serialization.SerializationException>(() => Serializer.FromBinary([], "ZZ"));
        Assert.Contains("ZZ", e.Message);
    }
}
