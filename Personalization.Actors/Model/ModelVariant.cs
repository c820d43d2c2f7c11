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
