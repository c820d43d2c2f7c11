namespace Personalization.Actors.Sharding;

/// <summary>Marker for the user shard region in Akka.Hosting's ActorRegistry.</summary>
public sealed class UserShardRegion
{
    public const string TypeName = "user";
}
