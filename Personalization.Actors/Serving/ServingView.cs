namespace Personalization.Actors.Serving;

/// <summary>
/// What a user's recommendations are computed from, as of the user's last applied batch: the model state, the model it
/// belongs to, the items the session's rules keep out of its answers and what the state reflects. Immutable: the user's actor
/// publishes a new view each time its session changes (<see cref="ServingBoard"/>), so a query reads a consistent view
/// without the actor. <see cref="Ranking"/> caches the view's ranked list: it is valid as long as the view is the latest.
/// <see cref="Companions"/> are the states of the user's companion models (docs/DESIGN.md, "The user session") as of
/// the same moment, each with a ranking cache of its own.
/// </summary>
public sealed class ServingView(
    string userId, float[] state, string[] excludedItemIds, string modelName, string modelVersion, long modelSteps, long eventCount,
    CompanionView[]? companions = null)
{
    public string UserId { get; } = userId;

    /// <summary>The state vector; never written after publication (a step returns a new array).</summary>
    public float[] State { get; } = state;

    /// <summary>Never recommended to the user (<see cref="Sessions.UserSession.ExcludedItemIds"/>: the items played, shown and ignored).</summary>
    public string[] ExcludedItemIds { get; } = excludedItemIds;

    public string ModelName { get; } = modelName;

    public string ModelVersion { get; } = modelVersion;

    public long ModelSteps { get; } = modelSteps;

    public long EventCount { get; } = eventCount;

    /// <summary>The ranked list of this view, once a query computed it (several queries racing compute the same list).</summary>
    public ServedRanking? Ranking { get; set; }

    /// <summary>The companion states that are ready (none for almost every user).</summary>
    public IReadOnlyList<CompanionView> Companions { get; } = companions ?? [];

    /// <summary>The state of companion <paramref name="key"/> in this view, or null.</summary>
    public CompanionView? Companion(Model.ModelKey key)
    {
        foreach (var companion in Companions)
        {
            if (companion.ModelName == key.Name && companion.ModelVersion == key.Version) return companion;
        }

        return null;
    }
}

/// <summary>
/// A companion model's state in a <see cref="ServingView"/>: immutable but for <see cref="Ranking"/>, the cache of its
/// ranked list (recent items of the view left out), valid as long as the view is the latest.
/// </summary>
public sealed class CompanionView(string modelName, string modelVersion, float[] state, long modelSteps, long eventCount)
{
    public string ModelName { get; } = modelName;

    public string ModelVersion { get; } = modelVersion;

    /// <summary>Never written after publication (a step returns a new array).</summary>
    public float[] State { get; } = state;

    public long ModelSteps { get; } = modelSteps;

    /// <summary>The user's events this state reflects (it may lag the serving state by the companion's step in flight).</summary>
    public long EventCount { get; } = eventCount;

    public ServedRanking? Ranking { get; set; }
}

/// <summary>A ranked list of a <see cref="ServingView"/>: the top <see cref="Size"/> items (fewer when the catalog, minus the user's items, is smaller).</summary>
public sealed record ServedRanking(Model.ScoredItem[] Items, Model.IModelRuntime Model, int Size)
{
    public bool Answers(int k) => k <= Size || Items.Length < Size;
}
