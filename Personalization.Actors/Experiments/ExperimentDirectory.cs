using System.Collections.Immutable;

namespace Personalization.Actors.Experiments;

/// <summary>
/// This node's view of the experiments, as replicated (<see cref="ExperimentReplicator"/>): read lock-free on every
/// answer. <see cref="Changed"/> is raised after each replacement (on the replicator's thread; handlers must not block).
/// </summary>
public sealed class ExperimentDirectory
{
    private volatile ImmutableDictionary<string, ExperimentDefinition> _all = ImmutableDictionary<string, ExperimentDefinition>.Empty.WithComparers(StringComparer.Ordinal);

    public ImmutableDictionary<string, ExperimentDefinition> All => _all;

    /// <summary>Whether the replicated experiments have been read at least once since the node started.</summary>
    public bool Loaded { get; private set; }

    public event Action<ImmutableDictionary<string, ExperimentDefinition>>? Changed;

    /// <summary>The experiment users are assigned to now, if any (at most one runs at a time: <see cref="ExperimentRules"/>).</summary>
    public ExperimentDefinition? Live(DateTimeOffset now)
    {
        foreach (var experiment in _all.Values)
            if (experiment.IsLive(now)) return experiment;
        return null;
    }

    public void Replace(ImmutableDictionary<string, ExperimentDefinition> all)
    {
        _all = all.WithComparers(StringComparer.Ordinal);
        Loaded = true;
        Changed?.Invoke(_all);
    }
}
