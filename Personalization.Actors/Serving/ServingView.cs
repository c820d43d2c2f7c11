namespace Personalization.Actors.Serving;

/// <summary>
/// What a user's recommendations are computed from, as of the user's last applied batch: the model state, the model it
/// belongs to, the items the session's rules keep out of its answers and what the state reflects. One view per live user,
/// written in place by the user's actor (<see cref="Update"/>) and read by queries on any thread (<see cref="TryRead"/>)
/// under a sequence lock: the writer makes the version odd, writes, makes it even again; a reader copies and keeps the
/// copy only if the version was even and unchanged around it. A new view per event would live until the user's next
/// event — long enough for the GC to promote it, and promoted garbage is what makes its pauses long (docs/DESIGN.md,
/// "Serving while ingesting"). <see cref="Ranking"/> caches a ranked list with the version it was computed from.
/// <see cref="Companions"/> are the states of the user's companion models (docs/DESIGN.md, "The user session") as of the
/// same moment, each with a ranking cache of its own.
/// </summary>
public sealed class ServingView
{
    private long _version;
    private float[] _state;
    private string[] _excluded;
    private int _excludedCount;
    private string _modelName;
    private string _modelVersion;
    private long _modelSteps;
    private long _eventCount;
    private CompanionView[] _companions;

    public ServingView(
        string userId, float[] state, string[] excludedItemIds, string modelName, string modelVersion, long modelSteps, long eventCount,
        CompanionView[]? companions = null)
    {
        UserId = userId;
        _state = (float[])state.Clone();
        _excluded = (string[])excludedItemIds.Clone();
        _excludedCount = excludedItemIds.Length;
        _modelName = modelName;
        _modelVersion = modelVersion;
        _modelSteps = modelSteps;
        _eventCount = eventCount;
        _companions = companions ?? [];
    }

    public string UserId { get; }

    /// <summary>Even while the view is consistent; every <see cref="Update"/> adds 2.</summary>
    public long Version => Volatile.Read(ref _version);

    public string ModelName => Volatile.Read(ref _modelName);

    public string ModelVersion => Volatile.Read(ref _modelVersion);

    /// <summary>The ranked list of one version of this view, once a query computed it (several queries racing compute the same list).</summary>
    public ServedRanking? Ranking { get; set; }

    /// <summary>The companion states that are ready (none for almost every user); replaced, never written, by an update.</summary>
    public IReadOnlyList<CompanionView> Companions => Volatile.Read(ref _companions);

    /// <summary>A consistent copy of the view (tests, diagnostics); spins while an update is under way.</summary>
    public ServingSnapshot Read()
    {
        var spin = new SpinWait();
        ServingSnapshot snapshot;
        while (!TryRead(out snapshot)) spin.SpinOnce();
        return snapshot;
    }

    /// <summary>Never recommended to the user (<see cref="Sessions.UserSession.ExcludedItemIds"/>: the items played, shown and ignored); a copy.</summary>
    public string[] ExcludedItemIds => Read().ExcludedItemIds;

    public long EventCount => Volatile.Read(ref _eventCount);

    /// <summary>
    /// Copies the view if no update is under way and none happened during the copy; false: an update raced it, read
    /// again. Wait-free for the reader; the writer never waits for readers.
    /// </summary>
    public bool TryRead(out ServingSnapshot snapshot)
    {
        var before = Volatile.Read(ref _version);
        snapshot = default;
        if ((before & 1) != 0) return false;
        var state = _state;
        var copy = new float[state.Length];
        state.AsSpan().CopyTo(copy);
        var excludedNow = _excluded;
        var count = Math.Min(_excludedCount, excludedNow.Length);
        var excluded = new string[count];
        Array.Copy(excludedNow, excluded, count);
        var (modelName, modelVersion, steps, events) = (_modelName, _modelVersion, _modelSteps, _eventCount);
        Interlocked.MemoryBarrier(); // the copies above complete before the version is read again
        if (Volatile.Read(ref _version) != before) return false;
        snapshot = new ServingSnapshot(copy, excluded, modelName, modelVersion, steps, events, before);
        return true;
    }

    /// <summary>
    /// The session changed (one writer: the user's actor). <paramref name="fillExcluded"/> writes the excluded ids into
    /// the buffer it is given (grown to <paramref name="excludedCount"/> first) — no array per update.
    /// </summary>
    public void Update<TArg>(
        float[] state, int excludedCount, TArg arg, Action<TArg, string[]> fillExcluded, string modelName, string modelVersion, long modelSteps, long eventCount,
        CompanionView[]? companions)
    {
        var version = _version;
        Interlocked.Exchange(ref _version, version + 1); // odd: readers retry; a full fence before the writes below
        if (_state.Length == state.Length) state.AsSpan().CopyTo(_state);
        else _state = (float[])state.Clone();
        if (_excluded.Length < excludedCount) _excluded = new string[Math.Max(excludedCount, 2 * _excluded.Length)];
        fillExcluded(arg, _excluded);
        _excludedCount = excludedCount;
        _modelName = modelName;
        _modelVersion = modelVersion;
        _modelSteps = modelSteps;
        _eventCount = eventCount;
        if (companions is not null || _companions.Length > 0) _companions = companions ?? [];
        Volatile.Write(ref _version, version + 2);
    }

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

/// <summary>A consistent copy of a <see cref="ServingView"/> at <see cref="Version"/>.</summary>
public readonly record struct ServingSnapshot(
    float[] State, string[] ExcludedItemIds, string ModelName, string ModelVersion, long ModelSteps, long EventCount, long Version);

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

/// <summary>
/// A ranked list of a <see cref="ServingView"/> at <see cref="Version"/> (companions: of their <see cref="CompanionView"/>,
/// version 0) reflecting <see cref="EventCount"/> events: the top <see cref="Size"/> items (fewer when the catalog, minus the user's items, is smaller).
/// </summary>
public sealed record ServedRanking(Model.ScoredItem[] Items, Model.IModelRuntime Model, int Size, long Version = 0, long EventCount = 0)
{
    public bool Answers(int k) => k <= Size || Items.Length < Size;
}
