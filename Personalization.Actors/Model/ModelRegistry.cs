namespace Personalization.Actors.Model;

/// <summary>
/// The node's models: the current one and optional A/B variants. <see cref="Load"/> validates a folder completely
/// (manifest, files, graphs, a test run) before anything changes; a bad folder throws
/// <see cref="InvalidModelException"/> and the previous model keeps serving. Swaps are atomic (one immutable
/// snapshot replaced).
/// <para>
/// Only the current models are held. A replaced model is retired: it refuses new requests, completes the ones it
/// accepted, and is disposed. A caller still holding it gets <see cref="ObjectDisposedException"/> and takes
/// <see cref="ForUser"/> again; it has to do that anyway, because a state from another model version means nothing
/// to the new one (reset, or replay recent items). Keeping old versions alive while referenced would need leases
/// from every actor and could pin a model (its memory and threads) for as long as one idle actor lives.
/// </para>
/// <para>
/// Companions (<see cref="SetCompanions"/>) are models whose state the sessions of some users keep beside the one that
/// serves them, for interleaving and shadow scoring (docs/DESIGN.md, "The user session"). They are part of the same
/// snapshot, swapped and retired the same way.
/// </para>
/// </summary>
public sealed class ModelRegistry : IModelProvider, IAsyncDisposable
{
    private sealed record Snapshot(IModelRuntime? Current, ModelVariant[] Variants, string Salt, Experiments.BucketMap? Buckets, CompanionTable Companions);

    private readonly Func<string, IModelRuntime> _open;
    private readonly Lock _changeLock = new();
    private readonly List<Task> _retiring = [];
    private volatile Snapshot _snapshot = new(null, [], "ab", null, CompanionTable.Empty);
    private bool _disposed;

    /// <param name="open">Opens and fully validates a folder; default: <see cref="InferenceBatcher.Open"/> with default options.</param>
    public ModelRegistry(Func<string, IModelRuntime>? open = null)
    {
        _open = open ?? (path => InferenceBatcher.Open(path));
        Telemetry.ModelMetrics.Touch();
    }

    /// <summary>Opens folders as <see cref="InferenceBatcher"/>s with <paramref name="options"/>.</summary>
    public ModelRegistry(InferenceBatcherOptions options) : this(path => InferenceBatcher.Open(path, options))
    {
    }

    /// <summary>Raised after every swap (on the thread that swapped).</summary>
    public event Action<ModelChange>? Changed;

    /// <summary>The current model; throws when none has been loaded yet.</summary>
    public IModelRuntime Current => _snapshot.Current ?? throw new InvalidOperationException("no model has been loaded");

    public bool HasModel => _snapshot.Current is not null;

    public IReadOnlyList<ModelVariant> Variants => _snapshot.Variants;

    /// <summary>The share of users each variant gets, in variant order (empty when no experiment runs).</summary>
    public IReadOnlyList<double> VariantShares => _snapshot is { Buckets: { } b, Variants: { Length: > 0 } v } ? b.Shares(v.Length) : [];

    /// <summary>Validates and opens the folder, then makes it current; the previous current model is retired.</summary>
    public IModelRuntime Load(string folderPath)
    {
        IModelRuntime runtime;
        try
        {
            runtime = _open(folderPath); // throws InvalidModelException; nothing has changed then
        }
        catch
        {
            Telemetry.ModelMetrics.LoadFailed();
            throw;
        }

        IModelRuntime? previous;
        lock (_changeLock)
        {
            if (_disposed)
            {
                Retire(runtime);
                throw new ObjectDisposedException(nameof(ModelRegistry));
            }

            var snapshot = _snapshot;
            previous = snapshot.Current;
            _snapshot = snapshot with { Current = runtime };
            if (previous is not null) Retire(previous);
        }

        Telemetry.ModelMetrics.Loaded(runtime.Name, runtime.Version);
        Changed?.Invoke(new ModelChange(null, previous, runtime));
        return runtime;
    }

    /// <summary>
    /// Replaces the A/B variants. Every folder is loaded and validated first: one bad folder refuses the whole set
    /// and nothing changes. Weights are relative (need not sum to 1). <paramref name="salt"/> names the experiment:
    /// the same salt keeps each user in the same bucket, a new one reshuffles. <paramref name="buckets"/> is the
    /// assignment itself when an experiment keeps one (<see cref="Experiments.BucketMap"/>); without it, buckets are
    /// split by weight in variant order.
    /// </summary>
    public void SetVariants(IReadOnlyList<VariantSpec> variants, string salt = "ab", Experiments.BucketMap? buckets = null)
    {
        ArgumentNullException.ThrowIfNull(variants);
        ArgumentException.ThrowIfNullOrEmpty(salt);
        if (variants.Count == 0) throw new ArgumentException("at least one variant is needed; use ClearVariants to stop an experiment", nameof(variants));
        if (variants.Select(v => v.Name).Distinct(StringComparer.Ordinal).Count() != variants.Count)
            throw new ArgumentException("variant names must be unique", nameof(variants));
        if (variants.Any(v => !(v.Weight >= 0) || double.IsInfinity(v.Weight)) || variants.Sum(v => v.Weight) <= 0)
            throw new ArgumentException("weights must be finite, non-negative and not all zero", nameof(variants));

        var opened = new List<IModelRuntime?>();
        try
        {
            foreach (var variant in variants) opened.Add(variant.Path is null ? null : _open(variant.Path));
        }
        catch
        {
            Telemetry.ModelMetrics.LoadFailed();
            foreach (var runtime in opened) Retire(runtime);
            throw;
        }

        var map = buckets ?? Experiments.BucketMap.Allocate([.. variants.Select(v => v.Weight)]);
        var table = new ModelVariant[variants.Count];
        for (var i = 0; i < table.Length; i++) table[i] = new ModelVariant(variants[i].Name, variants[i].Weight, i, opened[i]);

        SwapVariants(table, salt, map);
    }

    /// <summary>
    /// New assignment for the same variants (an experiment's weights changed): no model is reloaded, users whose
    /// bucket changed variant get the other variant's model at their next event or query.
    /// </summary>
    public void Reassign(string salt, Experiments.BucketMap buckets)
    {
        ArgumentException.ThrowIfNullOrEmpty(salt);
        lock (_changeLock)
        {
            if (_snapshot.Variants.Length == 0) throw new InvalidOperationException("no variants to reassign");
            _snapshot = _snapshot with { Salt = salt, Buckets = buckets };
        }
    }

    /// <summary>Ends the experiment: every user gets <see cref="Current"/>; variant models are retired.</summary>
    public void ClearVariants() => SwapVariants([], _snapshot.Salt, null);

    /// <summary>The variant of <paramref name="userId"/>, or null when no experiment runs.</summary>
    public ModelVariant? VariantFor(string userId)
    {
        var snapshot = _snapshot;
        return snapshot.Variants.Length == 0 ? null : Find(snapshot, userId);
    }

    /// <summary>The model that serves <paramref name="userId"/>: its variant's, else the current one.</summary>
    public IModelRuntime ForUser(string userId)
    {
        var snapshot = _snapshot;
        if (snapshot.Variants.Length == 0) return snapshot.Current ?? throw new InvalidOperationException("no model has been loaded");
        var variant = Find(snapshot, userId);
        return variant.OwnRuntime ?? snapshot.Current ?? throw new InvalidOperationException(
            $"variant {variant.Name} follows the current model, but no model has been loaded");
    }

    /// <summary>The companions loaded now (<see cref="SetCompanions"/>).</summary>
    public IReadOnlyList<ModelCompanion> Companions => _snapshot.Companions.Companions;

    /// <summary>
    /// Replaces the companions: every folder is loaded and validated first, and one bad folder or definition refuses
    /// the whole set (nothing changes); an empty list ends them all. The companions replaced are retired (a session
    /// stepping one gets <see cref="ObjectDisposedException"/>, drops that state and rebuilds it on its next batch).
    /// Refused: more than <see cref="CompanionTable.MaxCompanions"/>, names that are empty or not unique, a user range
    /// outside [0, 1) or empty, two companions of the same model name and version (a session keeps one state per model).
    /// </summary>
    public void SetCompanions(IReadOnlyList<CompanionSpec> companions)
    {
        ArgumentNullException.ThrowIfNull(companions);
        if (companions.Count > CompanionTable.MaxCompanions)
            throw new ArgumentException($"at most {CompanionTable.MaxCompanions} companions, got {companions.Count}", nameof(companions));
        foreach (var c in companions)
        {
            if (string.IsNullOrEmpty(c.Name)) throw new ArgumentException("a companion needs a name", nameof(companions));
            if (string.IsNullOrEmpty(c.Path)) throw new ArgumentException($"companion {c.Name} needs a model folder", nameof(companions));
            if (c.Salt is { Length: 0 }) throw new ArgumentException($"companion {c.Name}: the salt must not be empty", nameof(companions));
            if (!(c.From >= 0 && c.From < c.To && c.To <= 1))
                throw new ArgumentException($"companion {c.Name}: the users' range [{c.From}, {c.To}) must lie in [0, 1] and not be empty", nameof(companions));
        }

        if (companions.Select(c => c.Name).Distinct(StringComparer.Ordinal).Count() != companions.Count)
            throw new ArgumentException("companion names must be unique", nameof(companions));

        var opened = new List<IModelRuntime>();
        try
        {
            foreach (var c in companions) opened.Add(_open(c.Path));
        }
        catch
        {
            Telemetry.ModelMetrics.LoadFailed();
            foreach (var runtime in opened) Retire(runtime);
            throw;
        }

        var keys = opened.Select(ModelKey.Of).ToArray();
        if (keys.Distinct().Count() != keys.Length)
        {
            foreach (var runtime in opened) Retire(runtime);
            var twice = keys.GroupBy(k => k).First(g => g.Count() > 1).Key;
            throw new ArgumentException($"two companions are model {twice}: a session keeps one state per model name and version", nameof(companions));
        }

        var table = new ModelCompanion[companions.Count];
        for (var i = 0; i < table.Length; i++)
        {
            var c = companions[i];
            var first = (int)Math.Round(c.From * VariantAssignment.Buckets);
            var end = (int)Math.Round(c.To * VariantAssignment.Buckets);
            table[i] = new ModelCompanion(c.Name, c.Salt ?? c.Name, first, Math.Max(end, first + 1), opened[i]);
        }

        SwapCompanions(new CompanionTable(table));
    }

    /// <summary>Ends every companion: no session keeps another state any more; the companion models are retired.</summary>
    public void ClearCompanions() => SwapCompanions(CompanionTable.Empty);

    /// <summary>
    /// The companions of <paramref name="userId"/> (<see cref="IModelProvider.CompanionsFor"/>): with none loaded, an
    /// empty list at once; otherwise one bucket per distinct salt and a list built at <see cref="SetCompanions"/>.
    /// Never allocates.
    /// </summary>
    public IReadOnlyList<IModelRuntime> CompanionsFor(string userId) => _snapshot.Companions.For(userId);

    public async ValueTask DisposeAsync()
    {
        Snapshot snapshot;
        lock (_changeLock)
        {
            if (_disposed) return;
            _disposed = true;
            snapshot = _snapshot;
            _snapshot = new Snapshot(null, [], snapshot.Salt, null, CompanionTable.Empty);
        }

        var all = snapshot.Variants.Select(v => v.OwnRuntime).Append(snapshot.Current).Concat(snapshot.Companions.Companions.Select(c => c.Runtime));
        await Task.WhenAll(all.Select(DisposeNowAsync)).ConfigureAwait(false);
        Task[] retiring;
        lock (_retiring) retiring = [.. _retiring];
        await Task.WhenAll(retiring).ConfigureAwait(false);
    }

    /// <summary>Completes when every retired model has been disposed (for tests and shutdown).</summary>
    public Task RetiredDisposed()
    {
        lock (_retiring) return Task.WhenAll(_retiring.ToArray());
    }

    private static ModelVariant Find(Snapshot snapshot, string userId) =>
        snapshot.Variants[snapshot.Buckets!.VariantAt(VariantAssignment.BucketOf(userId, snapshot.Salt))];

    private void SwapVariants(ModelVariant[] table, string salt, Experiments.BucketMap? buckets)
    {
        ModelVariant[] previous;
        lock (_changeLock)
        {
            if (_disposed)
            {
                foreach (var variant in table) Retire(variant.OwnRuntime);
                throw new ObjectDisposedException(nameof(ModelRegistry));
            }

            previous = _snapshot.Variants;
            _snapshot = _snapshot with { Variants = table, Salt = salt, Buckets = buckets };
            foreach (var variant in previous) Retire(variant.OwnRuntime);
        }

        foreach (var variant in table) Changed?.Invoke(new ModelChange(variant.Name, previous.FirstOrDefault(p => p.Name == variant.Name)?.OwnRuntime, variant.OwnRuntime));
        foreach (var gone in previous.Where(p => table.All(v => v.Name != p.Name))) Changed?.Invoke(new ModelChange(gone.Name, gone.OwnRuntime, null));
    }

    private void SwapCompanions(CompanionTable table)
    {
        lock (_changeLock)
        {
            if (_disposed)
            {
                foreach (var companion in table.Companions) Retire(companion.Runtime);
                throw new ObjectDisposedException(nameof(ModelRegistry));
            }

            var previous = _snapshot.Companions;
            _snapshot = _snapshot with { Companions = table };
            foreach (var companion in previous.Companions) Retire(companion.Runtime);
        }
    }

    private void Retire(IModelRuntime? runtime)
    {
        if (runtime is null) return;
        var task = runtime switch
        {
            InferenceBatcher batcher => batcher.DrainAndDisposeAsync(),
            _ => DisposeNowAsync(runtime),
        };
        lock (_retiring)
        {
            _retiring.RemoveAll(t => t.IsCompleted);
            _retiring.Add(task);
        }
    }

    private static Task DisposeNowAsync(IModelRuntime? runtime) => runtime switch
    {
        IAsyncDisposable asyncDisposable => asyncDisposable.DisposeAsync().AsTask(),
        IDisposable disposable => Task.Run(disposable.Dispose),
        _ => Task.CompletedTask,
    };
}
