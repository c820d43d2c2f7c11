using Akka.Actor;
using Akka.Serialization;
using Google.Protobuf;
using Personalization.Actors.Delivery;
using Personalization.Actors.Events;
using Personalization.Actors.Model;
using Personalization.Actors.Serialization.Proto;
using Personalization.Actors.Sessions;

namespace Personalization.Actors.Serialization;

/// <summary>
/// Protobuf for every message that crosses the network or is persisted (never Akka's default JSON). Manifests are
/// short, stable codes: renaming a C# type never breaks stored checkpoints. Evolve the .proto by adding fields.
/// </summary>
public sealed class PersonalizationSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    public const int Id = 6512;

    private const string ApplyEventManifest = "AE";
    private const string EventsDurableManifest = "ED";
    private const string RedeliveryNeededManifest = "RN";
    private const string GetRecommendationsManifest = "GR";
    private const string RecommendationsManifest = "R";
    private const string GetSessionManifest = "GS";
    private const string SessionViewManifest = "SV";
    private const string StopUserManifest = "SU";
    private const string CheckpointManifest = "UC";
    private const string InspectUserManifest = "IU";
    private const string UserInspectionManifest = "UI";

    public override int Identifier => Id;

    public override string Manifest(object o) => o switch
    {
        ApplyEvent => ApplyEventManifest,
        EventsDurable => EventsDurableManifest,
        RedeliveryNeeded => RedeliveryNeededManifest,
        GetRecommendations => GetRecommendationsManifest,
        Recommendations => RecommendationsManifest,
        GetSession => GetSessionManifest,
        SessionView => SessionViewManifest,
        StopUser => StopUserManifest,
        UserCheckpoint => CheckpointManifest,
        InspectUser => InspectUserManifest,
        UserInspection => UserInspectionManifest,
        _ => throw new ArgumentException($"{nameof(PersonalizationSerializer)} cannot serialize {o.GetType()}", nameof(o)),
    };

    public override byte[] ToBinary(object obj) => obj switch
    {
        ApplyEvent e => new ApplyEventProto
        {
            UserId = e.UserId,
            ItemId = e.ItemId,
            Type = (int)e.Type,
            Timestamp = e.Timestamp,
            Partition = e.Delivery.Partition,
            Offset = e.Delivery.Offset,
            AckTo = e.Delivery.AckTo is null ? string.Empty : Akka.Serialization.Serialization.SerializedActorPath(e.Delivery.AckTo),
            PreviousOffsetPlusOne = e.Delivery.PreviousOffset + 1,
            RecommendationId = e.RecommendationId ?? string.Empty,
        }.ToByteArray(),
        RedeliveryNeeded r => new RedeliveryNeededProto { Partition = r.Partition }.ToByteArray(),
        EventsDurable d => ToProto(d).ToByteArray(),
        GetRecommendations q => ToProto(q).ToByteArray(),
        Recommendations r => ToProto(r).ToByteArray(),
        GetSession s => new GetSessionProto { UserId = s.UserId }.ToByteArray(),
        SessionView v => ToProto(v).ToByteArray(),
        StopUser => [],
        UserCheckpoint c => ToProto(c).ToByteArray(),
        InspectUser i => new InspectUserProto { UserId = i.UserId, K = i.K }.ToByteArray(),
        UserInspection i => ToProto(i).ToByteArray(),
        _ => throw new ArgumentException($"{nameof(PersonalizationSerializer)} cannot serialize {obj.GetType()}", nameof(obj)),
    };

    public override object FromBinary(byte[] bytes, string manifest) => manifest switch
    {
        ApplyEventManifest => FromProto(ApplyEventProto.Parser.ParseFrom(bytes)),
        EventsDurableManifest => FromProto(EventsDurableProto.Parser.ParseFrom(bytes)),
        RedeliveryNeededManifest => new RedeliveryNeeded(RedeliveryNeededProto.Parser.ParseFrom(bytes).Partition),
        GetRecommendationsManifest => FromProto(GetRecommendationsProto.Parser.ParseFrom(bytes)),
        RecommendationsManifest => FromProto(RecommendationsProto.Parser.ParseFrom(bytes)),
        GetSessionManifest => new GetSession(GetSessionProto.Parser.ParseFrom(bytes).UserId),
        SessionViewManifest => FromProto(SessionViewProto.Parser.ParseFrom(bytes)),
        StopUserManifest => StopUser.Instance,
        CheckpointManifest => FromProto(UserCheckpointProto.Parser.ParseFrom(bytes)),
        InspectUserManifest => FromProto(InspectUserProto.Parser.ParseFrom(bytes)),
        UserInspectionManifest => FromProto(UserInspectionProto.Parser.ParseFrom(bytes)),
        _ => throw new System.Runtime.Serialization.SerializationException($"{nameof(PersonalizationSerializer)} does not know manifest \"{manifest}\""),
    };

    private ApplyEvent FromProto(ApplyEventProto p) => new(
        p.UserId, p.ItemId, (EventType)p.Type, p.Timestamp,
        new DeliveryTag(p.Partition, p.Offset, p.PreviousOffsetPlusOne - 1, p.AckTo.Length == 0 ? null : system.Provider.ResolveActorRef(p.AckTo)),
        p.RecommendationId.Length == 0 ? null : p.RecommendationId);

    private static EventsDurableProto ToProto(EventsDurable d)
    {
        var p = new EventsDurableProto { Partition = d.Partition };
        p.Offsets.Add(d.Offsets);
        return p;
    }

    private static EventsDurable FromProto(EventsDurableProto p) => new(p.Partition, p.Offsets.ToArray());

    private static GetRecommendationsProto ToProto(GetRecommendations q)
    {
        var p = new GetRecommendationsProto { UserId = q.UserId, K = q.K };
        if (q.Companion is { } companion)
        {
            p.CompanionName = companion.Name;
            p.CompanionVersion = companion.Version;
        }

        return p;
    }

    private static GetRecommendations FromProto(GetRecommendationsProto p) =>
        new(p.UserId, p.K, p.CompanionName.Length == 0 ? null : new ModelKey(p.CompanionName, p.CompanionVersion));

    private static RecommendationsProto ToProto(Recommendations r)
    {
        var p = new RecommendationsProto
        {
            UserId = r.UserId, ModelName = r.ModelName, ModelVersion = r.ModelVersion, EventsReflected = r.EventsReflected, ColdStart = r.ColdStart,
        };
        foreach (var item in r.Items) p.Items.Add(new RecommendedItemProto { ItemId = item.ItemId, Score = item.Score });
        return p;
    }

    private static Recommendations FromProto(RecommendationsProto p) => new(
        p.UserId, p.Items.Select(i => new RecommendedItem(i.ItemId, i.Score)).ToArray(), p.ModelName, p.ModelVersion, p.EventsReflected, p.ColdStart);

    private static SessionViewProto ToProto(SessionView v)
    {
        var p = new SessionViewProto
        {
            UserId = v.UserId, EventCount = v.EventCount, Plays = v.Plays, Skips = v.Skips, Likes = v.Likes, PlaylistAdds = v.PlaylistAdds,
            FirstEventAt = v.FirstEventAt, LastEventAt = v.LastEventAt, ModelVersion = v.ModelVersion ?? string.Empty, ModelSteps = v.ModelSteps,
        };
        p.Recent.Add(v.Recent.Select(ToProto));
        p.AppliedOffsets.Add(v.AppliedOffsets.Select(ToProto));
        p.DurableOffsets.Add(v.DurableOffsets.Select(ToProto));
        return p;
    }

    private static SessionView FromProto(SessionViewProto p) => new(
        p.UserId, p.EventCount, p.Plays, p.Skips, p.Likes, p.PlaylistAdds, p.FirstEventAt, p.LastEventAt,
        p.Recent.Select(FromProto).ToArray(), p.ModelVersion.Length == 0 ? null : p.ModelVersion, p.ModelSteps,
        p.AppliedOffsets.Select(FromProto).ToArray(), p.DurableOffsets.Select(FromProto).ToArray());

    private static InspectUser FromProto(InspectUserProto p) => new(p.UserId, p.K);

    private static UserInspectionProto ToProto(UserInspection i)
    {
        var p = new UserInspectionProto
        {
            Session = ToProto(i.Session), Node = i.Node, ShardId = i.ShardId, ModelName = i.ModelName ?? string.Empty, StateSize = i.StateSize,
            StateNorm = i.StateNorm, EventsWaiting = i.EventsWaiting, StepInFlight = i.StepInFlight, CheckpointsInFlight = i.CheckpointsInFlight,
            EventsSinceCheckpoint = i.EventsSinceCheckpoint, TopKCached = i.TopKCached,
        };
        p.PendingAcks.Add(i.PendingAcks.Select(a => new PendingAcksProto { Partition = a.Partition, Count = a.Count, FirstOffset = a.FirstOffset, LastOffset = a.LastOffset }));
        p.TopK.Add(i.TopK.Select(t => new RecommendedItemProto { ItemId = t.ItemId, Score = t.Score }));
        p.Companions.Add(i.Companions.Select(c => new CompanionInspectionProto
        {
            ModelName = c.ModelName, ModelVersion = c.ModelVersion, ModelSteps = c.ModelSteps, EventsReflected = c.EventsReflected, Building = c.Building,
        }));
        return p;
    }

    private static UserInspection FromProto(UserInspectionProto p) => new(
        FromProto(p.Session ?? new SessionViewProto()), p.Node, p.ShardId, p.ModelName.Length == 0 ? null : p.ModelName, p.StateSize, p.StateNorm,
        p.PendingAcks.Select(a => new PendingAcks(a.Partition, a.Count, a.FirstOffset, a.LastOffset)).ToArray(),
        p.EventsWaiting, p.StepInFlight, p.CheckpointsInFlight, p.EventsSinceCheckpoint, p.TopKCached,
        p.TopK.Select(t => new RecommendedItem(t.ItemId, t.Score)).ToArray(),
        p.Companions.Select(c => new CompanionInspection(c.ModelName, c.ModelVersion, c.ModelSteps, c.EventsReflected, c.Building)).ToArray());

    private static UserCheckpointProto ToProto(UserCheckpoint c)
    {
        var p = new UserCheckpointProto
        {
            ModelName = c.ModelName ?? string.Empty, ModelVersion = c.ModelVersion ?? string.Empty, ModelSteps = c.ModelSteps,
            EventCount = c.EventCount, Plays = c.Plays, Skips = c.Skips, Likes = c.Likes, PlaylistAdds = c.PlaylistAdds,
            FirstEventAt = c.FirstEventAt, LastEventAt = c.LastEventAt,
        };
        if (c.State is not null) p.State.Add(c.State);
        p.Recent.Add(c.Recent.Select(ToProto));
        p.AppliedOffsets.Add(c.AppliedOffsets.Select(ToProto));
        return p;
    }

    private static UserCheckpoint FromProto(UserCheckpointProto p) => new(
        p.State.Count == 0 ? null : p.State.ToArray(),
        p.ModelName.Length == 0 ? null : p.ModelName,
        p.ModelVersion.Length == 0 ? null : p.ModelVersion,
        p.ModelSteps, p.EventCount, p.Plays, p.Skips, p.Likes, p.PlaylistAdds, p.FirstEventAt, p.LastEventAt,
        p.Recent.Select(FromProto).ToArray(), p.AppliedOffsets.Select(FromProto).ToArray());

    private static RecentItemProto ToProto(RecentItem r) => new() { ItemId = r.ItemId, Type = (int)r.Type, Timestamp = r.Timestamp };

    private static RecentItem FromProto(RecentItemProto p) => new(p.ItemId, (EventType)p.Type, p.Timestamp);

    private static PartitionOffsetProto ToProto((int Partition, long Offset) o) => new() { Partition = o.Partition, Offset = o.Offset };

    private static (int Partition, long Offset) FromProto(PartitionOffsetProto p) => (p.Partition, p.Offset);
}
