namespace Personalization.Actors.Serving;

/// <summary>
/// What a user's recommendations are computed from, as of the user's last applied batch: the model state, the model it
/// belongs to, the recent items (never recommended back) and what the state reflects. Immutable: the user's actor
/// publishes a new view each time its session changes (<see cref="ServingBoard"/>), so a query reads a consistent view
/// without the actor. <see cref="Ranking"/> caches the view's ranked list: it is valid as long as the view is the latest.
/// </summary>
public sealed class ServingView(string userId, float[] state, string[] recentItemIds, string modelName, string modelVersion, long modelSteps, long eventCount)
{
    public string UserId { get; } = userId;

    /// <summary>The state vector; never written after publication (a step returns a new array).</summary>
    public float[] State { get; } = state;

    public string[] RecentItemIds { get; } = recentItemIds;

    public string ModelName { get; } = modelName;

    public string ModelVersion { get; } = modelVersion;

    public long ModelSteps { get; } = modelSteps;

    public long EventCount { get; } = eventCount;

    /// <summary>The ranked list of this view, once a query computed it (several queries racing compute the same list).</summary>
    public ServedRanking? Ranking { get; set; }
}

/// <summary>A ranked list of a <see cref="ServingView"/>: the top <see cref="Size"/> items (fewer when the catalog, minus the user's items, is smaller).</summary>
public sealed record ServedRanking(Model.ScoredItem[] Items, Model.IModelRuntime Model, int Size)
{
    public bool Answers(int k) => k <= Size || Items.Length < Size;
}
