namespace Personalization.Actors.Model;

/// <summary>
/// A model by its folder's name and version (manifest.json): what a companion state is known by
/// (<see cref="Sessions.CompanionStates"/>) and how a query selects one (<see cref="Sessions.GetRecommendations.Companion"/>).
/// Two runtimes of the same folder (a reload) have the same key: a state of one is a state of the other.
/// </summary>
public readonly record struct ModelKey(string Name, string Version)
{
    public static ModelKey Of(IModelRuntime model) => new(model.Name, model.Version);

    /// <summary>True when <paramref name="model"/> is this name and version (ordinal).</summary>
    public bool Is(IModelRuntime model) => string.Equals(model.Name, Name, StringComparison.Ordinal) && string.Equals(model.Version, Version, StringComparison.Ordinal);

    public override string ToString() => $"{Name}@{Version}";
}
