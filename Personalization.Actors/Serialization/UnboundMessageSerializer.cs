using Akka.Actor;

namespace Personalization.Actors.Serialization;

/// <summary>
/// Bound to <see cref="object"/>: a message that crosses the network or is persisted without a binding of its own
/// is refused with a sentence, instead of falling back to Akka's JSON serializer (which would put a reflection-based,
/// unversioned format on the wire and in the store). Every message of ours is bound to
/// <see cref="PersonalizationSerializer"/>; Akka's own messages have their own bindings.
/// </summary>
public sealed class UnboundMessageSerializer(ExtendedActorSystem system) : Akka.Serialization.Serializer(system)
{
    public const int Id = 9_151;

    public override int Identifier => Id;

    public override bool IncludeManifest => false;

    public override byte[] ToBinary(object obj) => throw new System.Runtime.Serialization.SerializationException(
        $"{obj.GetType().FullName} has no serialization binding: only protobuf-bound messages may cross the network or be persisted " +
        "(bind it in WithPersonalizationSerialization)");

    public override object FromBinary(byte[] bytes, Type type) => throw new System.Runtime.Serialization.SerializationException(
        $"no serializer binding for {type?.FullName ?? "an unknown type"}: only protobuf-bound messages are accepted");
}
