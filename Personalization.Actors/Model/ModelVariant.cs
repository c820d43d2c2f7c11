namespace Personalization.Actors.Model;

/// <summary>An A/B variant to load: <paramref name="Path"/> null means "whatever model is current".</summary>
public sealed record VariantSpec(string Name, double Weight, string? Path = null);

/// <summary>A loaded variant: users whose bucket the registry's bucket map gives <paramref name="Index"/> get it.</summary>
public sealed record ModelVariant(string Name, double Weight, int Index, IModelRuntime? OwnRuntime)
{
    /// <summary>True when the variant follows <see cref="ModelRegistry.Current"/> instead of a model of its own.</summary>
    public bool FollowsCurrent => OwnRuntime is null;
}

/// <summary>A model was swapped in: <paramref name="Variant"/> is null for the current model, else the variant's name.</summary>
public sealed record ModelChange(string? Variant, IModelRuntime? Previous, IModelRuntime? Current);

/// <summary>
/// A companion model to load (<see cref="ModelRegistry.SetCompanions"/>): the users whose bucket under
/// <paramref name="Salt"/> (default: <paramref name="Name"/>) lies in [<paramref name="From"/>, <paramref name="To"/>) of
/// all buckets keep the state of the model in <paramref name="Path"/> beside the one that serves them.
/// </summary>
public sealed record CompanionSpec(string Name, string Path, double From = 0, double To = 1, string? Salt = null);

/// <summary>A loaded companion: users whose bucket under <paramref name="Salt"/> is in [<paramref name="FirstBucket"/>, <paramref name="EndBucket"/>) keep <paramref name="Runtime"/>'s state.</summary>
public sealed record ModelCompanion(string Name, string Salt, int FirstBucket, int EndBucket, IModelRuntime Runtime)
{
    public bool Includes(int bucket) => bucket >= FirstBucket && bucket < EndBucket;
}
