using Personalization.Actors.Experiments;
using Personalization.Actors.Model;
using Personalization.Node.Hosting;

namespace Personalization.Node.Experiments;

/// <summary>
/// Keeps the node's <see cref="ModelRegistry"/> variants equal to the live experiment: its variants' model folders
/// loaded, its bucket map as the assignment, none when no experiment is live. Runs on a change of the replicated
/// experiments and once a second (start and end times pass without a change). A weight change only reassigns
/// buckets; a folder that fails to load leaves the previous variants serving, says why in the log and in
/// <see cref="LastError"/>, and is retried at the next change.
/// </summary>
public sealed class ExperimentModels(ExperimentDirectory directory, ModelRegistry registry, TimeProvider time, ILogger<ExperimentModels> log) : BackgroundService
{
    private readonly SemaphoreSlim _wake = new(0);
    private Applied? _applied;
    private (string, long)? _failedRevision;

    /// <summary>Why the live experiment's models could not be loaded on this node (null: they are, or none is live).</summary>
    public string? LastError { get; private set; }

    /// <summary>The experiment whose variants the registry serves now, and its revision.</summary>
    public (string Name, long Revision)? Serving => _applied is { } a ? (a.Name, a.Revision) : null;

    /// <summary>
    /// Interleaving: the second variant's model, which every session keeps as a companion state beside the first's
    /// (null while none is live or its model is not loaded yet).
    /// </summary>
    public ModelKey? InterleavingPartner { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        directory.Changed += _ => _wake.Release();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Run(() => Apply(directory.Live(time.GetUtcNow())), stoppingToken).ConfigureAwait(false);
                await _wake.WaitAsync(TimeSpan.FromSeconds(1), stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>Brings the registry to <paramref name="live"/> (null: no experiment).</summary>
    public void Apply(ExperimentDefinition? live)
    {
        if (live is null)
        {
            if (_applied is null) return;
            registry.ClearVariants();
            registry.ClearCompanions();
            InterleavingPartner = null;
            log.LogInformation("Experiment {Experiment} is no longer live: every user gets the current model", _applied.Name);
            _applied = null;
            LastError = null;
            return;
        }

        var paths = live.Variants.Select(v => v.Model is null ? null : RepoFiles.Resolve(v.Model)).ToArray();
        if (_applied is { } a && a.Name == live.Name && a.Revision == live.Revision) return;
        if (_applied is { } same && same.Name == live.Name && same.Paths.SequenceEqual(paths) && live.Kind == ExperimentKind.AbTest)
        {
            registry.Reassign(live.Salt, live.Buckets);
            _applied = new Applied(live.Name, live.Revision, paths);
            log.LogInformation("Experiment {Experiment} revision {Revision}: users reassigned ({Shares})", live.Name, live.Revision, Shares(live));
            return;
        }

        if (LastError is not null && _failedRevision == (live.Name, live.Revision)) return; // retried at the next change
        try
        {
            if (live.Kind == ExperimentKind.Interleaving)
            {
                // Every user is served by the first variant and keeps the second's state as a companion: each answer
                // drafts from both lists.
                registry.SetVariants([new VariantSpec(live.Variants[0].Name, 1, paths[0])], live.Salt, BucketMap.Allocate([1]));
                registry.SetCompanions([new CompanionSpec(live.Variants[1].Name, paths[1]!, 0, 1, live.Salt)]);
                InterleavingPartner = ModelKey.Of(registry.Companions[0].Runtime);
            }
            else
            {
                registry.SetVariants([.. live.Variants.Select((v, i) => new VariantSpec(v.Name, v.Weight, paths[i]))], live.Salt, live.Buckets);
                if (registry.Companions.Count > 0) registry.ClearCompanions();
                InterleavingPartner = null;
            }

            _applied = new Applied(live.Name, live.Revision, paths);
            LastError = null;
            log.LogInformation("Experiment {Experiment} revision {Revision} serving: {Shares}", live.Name, live.Revision, Shares(live));
        }
        catch (Exception e) when (e is InvalidModelException or ArgumentException or IOException)
        {
            LastError = $"experiment {live.Name} revision {live.Revision}: {e.Message}";
            _failedRevision = (live.Name, live.Revision);
            log.LogError("Experiment {Experiment} cannot serve on this node: {Reason}; the previous assignment stays", live.Name, e.Message);
        }
    }

    private static string Shares(ExperimentDefinition e)
    {
        var shares = e.Buckets.Shares(e.Variants.Length);
        return string.Join(", ", e.Variants.Select((v, i) => $"{v.Name} {shares[i]:P1} ({v.Model ?? "current model"})"));
    }

    private sealed record Applied(string Name, long Revision, string?[] Paths);
}
