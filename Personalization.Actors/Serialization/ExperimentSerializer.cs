using System.Collections.Immutable;
using Akka.Actor;
using Akka.Serialization;
using Google.Protobuf;
using Personalization.Actors.Experiments;
using Personalization.Actors.Serialization.Proto.Experiments;

namespace Personalization.Actors.Serialization;

/// <summary>
/// Protobuf for the experiments' replicated values and messages (experiments.proto): definitions and sketches as
/// Akka.DistributedData gossips and stores them, impressions as they travel to a user's actor.
/// </summary>
public sealed class ExperimentSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    public const int Id = 6513;

    private const string DefinitionManifest = "XD";
    private const string ImpressionManifest = "XI";
    private const string SketchesManifest = "XS";

    public override int Identifier => Id;

    public override string Manifest(object o) => o switch
    {
        ExperimentDefinition => DefinitionManifest,
        ImpressionServed => ImpressionManifest,
        ItemSketches => SketchesManifest,
        _ => throw new ArgumentException($"{nameof(ExperimentSerializer)} cannot serialize {o.GetType()}", nameof(o)),
    };

    public override byte[] ToBinary(object obj) => obj switch
    {
        ExperimentDefinition d => ToProto(d).ToByteArray(),
        ImpressionServed i => ToProto(i).ToByteArray(),
        ItemSketches s => ToProto(s).ToByteArray(),
        _ => throw new ArgumentException($"{nameof(ExperimentSerializer)} cannot serialize {obj.GetType()}", nameof(obj)),
    };

    public override object FromBinary(byte[] bytes, string manifest) => manifest switch
    {
        DefinitionManifest => FromProto(ExperimentDefinitionProto.Parser.ParseFrom(bytes)),
        ImpressionManifest => FromProto(ImpressionServedProto.Parser.ParseFrom(bytes)),
        SketchesManifest => new ItemSketches(ItemSketchesProto.Parser.ParseFrom(bytes).Sketches
            .ToImmutableDictionary(kv => kv.Key, kv => kv.Value.ToByteArray(), StringComparer.Ordinal)),
        _ => throw new System.Runtime.Serialization.SerializationException($"unknown manifest \"{manifest}\" for {nameof(ExperimentSerializer)}"),
    };

    public static ExperimentDefinitionProto ToProto(ExperimentDefinition d)
    {
        var p = new ExperimentDefinitionProto
        {
            Name = d.Name, Kind = (int)d.Kind, Salt = d.Salt, Status = (int)d.Status,
            StartAtMs = d.StartAt?.ToUnixTimeMilliseconds() ?? 0, EndAtMs = d.EndAt?.ToUnixTimeMilliseconds() ?? 0,
            Buckets = ByteString.CopyFrom(d.Buckets.Bytes), Revision = d.Revision,
            CreatedAtMs = d.CreatedAt.ToUnixTimeMilliseconds(), UpdatedAtMs = d.UpdatedAt.ToUnixTimeMilliseconds(),
            Description = d.Description ?? string.Empty,
        };
        foreach (var v in d.Variants)
            p.Variants.Add(new VariantDefinitionProto { Name = v.Name, Weight = v.Weight, Model = v.Model ?? string.Empty, K = v.K ?? 0 });
        return p;
    }

    public static ExperimentDefinition FromProto(ExperimentDefinitionProto p)
    {
        var variants = p.Variants.Select(v => new VariantDefinition(v.Name, v.Weight, v.Model.Length == 0 ? null : v.Model, v.K == 0 ? null : v.K)).ToImmutableArray();
        return new ExperimentDefinition(
            p.Name, (ExperimentKind)p.Kind, p.Salt, variants, (ExperimentStatus)p.Status,
            p.StartAtMs == 0 ? null : DateTimeOffset.FromUnixTimeMilliseconds(p.StartAtMs),
            p.EndAtMs == 0 ? null : DateTimeOffset.FromUnixTimeMilliseconds(p.EndAtMs),
            BucketMap.FromBytes(p.Buckets.Span, variants.Length), p.Revision,
            DateTimeOffset.FromUnixTimeMilliseconds(p.CreatedAtMs), DateTimeOffset.FromUnixTimeMilliseconds(p.UpdatedAtMs),
            p.Description.Length == 0 ? null : p.Description);
    }

    private static ImpressionServedProto ToProto(ImpressionServed i)
    {
        var p = new ImpressionServedProto
        {
            UserId = i.UserId, RecommendationId = i.RecommendationId, Experiment = i.Experiment,
            Teams = ByteString.CopyFrom(i.Teams), ServedAtMs = i.ServedAtMs,
        };
        p.Variants.Add(i.Variants);
        p.Items.Add(i.Items);
        return p;
    }

    private static ImpressionServed FromProto(ImpressionServedProto p) => new(
        p.UserId, p.RecommendationId, p.Experiment, [.. p.Variants], [.. p.Items], p.Teams.ToByteArray(), p.ServedAtMs);

    private static ItemSketchesProto ToProto(ItemSketches s)
    {
        var p = new ItemSketchesProto();
        foreach (var (variant, sketch) in s.Sketches) p.Sketches[variant] = ByteString.CopyFrom(sketch);
        return p;
    }
}
