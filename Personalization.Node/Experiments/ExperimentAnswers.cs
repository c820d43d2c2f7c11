using Akka.Actor;
using Akka.Hosting;
using Personalization.Actors.Experiments;
using Personalization.Actors.Kafka.Producers;
using Personalization.Actors.Sharding;
using Personalization.Node.Http;

namespace Personalization.Node.Experiments;

/// <summary>The live experiment a query's user is in, and the variant (−1: none).</summary>
public readonly record struct ExperimentAssignment(ExperimentDefinition? Experiment, int Variant)
{
    public static readonly ExperimentAssignment None = new(null, -1);

    public VariantDefinition? Definition => Experiment is { } e && Variant >= 0 ? e.Variants[Variant] : null;

    /// <summary>The list length to serve: the variant's, else the request's.</summary>
    public int KFor(int requested) => Definition?.K ?? requested;

    /// <summary>The answer drafts from both variants' lists (team draft).</summary>
    public bool Interleaves => Experiment is { Kind: ExperimentKind.Interleaving };

    /// <summary>A shadow experiment's sampled user: served by the live model, ranked silently by the candidate too.</summary>
    public bool Shadowed => Experiment is { Kind: ExperimentKind.Shadow } && Variant == 1;
}

/// <summary>
/// What every answer gets on its way out: a recommendation id, the user's experiment and variant, an impression
/// record on the impressions topic, and — for users in an experiment — the impression told to the user's actor (its
/// next play scores the answer) and counted in the node's tally. Nothing here waits: the answer is never delayed by it.
/// </summary>
public sealed class ExperimentAnswers(
    ExperimentDirectory directory, IRequiredActor<UserShardRegion> region, ActorSystem system, ImpressionProducer? impressions = null, TimeProvider? time = null,
    ExperimentModels? models = null, bool tellEveryAnswer = false)
{
    /// <summary>The second ranker of the live interleaving experiment, once this node keeps its states.</summary>
    public Actors.Model.ModelKey? InterleavingPartner => models?.InterleavingPartner;

    /// <summary>The candidate of the live shadow experiment, once this node keeps its states for the sampled users.</summary>
    public Actors.Model.ModelKey? ShadowCandidate => models?.ShadowCandidate;

    public static string KindName(ExperimentKind kind) => kind switch
    {
        ExperimentKind.Interleaving => "interleaving",
        ExperimentKind.Shadow => "shadow",
        _ => "ab",
    };

    /// <summary>
    /// Shadow scoring, off the answer's path: once the live answer is on its way, the candidate's list for the same
    /// user is asked for (<paramref name="candidate"/>) and both lists go to the user's actor as one impression, so the
    /// next play scores the live model and the candidate on the same users and plays. A candidate that cannot answer
    /// is skipped (counted as nothing).
    /// </summary>
    public void Shadow(ExperimentAssignment assignment, RecommendationsDto live, long started, Func<Task<Actors.Sessions.Recommendations?>> candidate)
    {
        var experiment = assignment.Experiment!;
        var servedAt = _time.GetUtcNow().ToUnixTimeMilliseconds();
        _ = Task.Run(async () =>
        {
            try
            {
                var shadowStarted = _time.GetTimestamp();
                if (await candidate().ConfigureAwait(false) is not { } answer) return;
                var items = live.Items.Select(i => i.ItemId).ToArray();
                var shadowItems = answer.Items.Select(i => i.ItemId).ToArray();
                _tally.Impression(experiment.Name, experiment.Variants[0].Name, items, _time.GetElapsedTime(started).TotalSeconds);
                _tally.Impression(experiment.Name, experiment.Variants[1].Name, shadowItems, _time.GetElapsedTime(shadowStarted).TotalSeconds);
                region.ActorRef.Tell(new ImpressionServed(
                    live.UserId, live.RecommendationId!, experiment.Name, [experiment.Variants[0].Name, experiment.Variants[1].Name], items, [],
                    servedAt, shadowItems), ActorRefs.NoSender);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                ShadowFailures.Inc(); // the user was answered; the shadow sample is one smaller
            }
        });
    }

    private static readonly Prometheus.Counter ShadowFailures = Prometheus.Metrics.CreateCounter(
        "personalization_experiment_shadow_failures_total", "Shadow rankings that failed (the live answer was served; the sample is one smaller)");

    /// <summary>
    /// Team draft of the first variant's answer <paramref name="a"/> and the second's <paramref name="b"/>: the items
    /// in drafted order, each with the score its own ranker gave it, and per position the variant that picked it.
    /// </summary>
    public static (RecommendationsDto Answer, string?[] Teams) Interleave(ExperimentAssignment assignment, RecommendationsDto a, Actors.Sessions.Recommendations b, int k)
    {
        var variants = assignment.Experiment!.Variants;
        var scores = new Dictionary<string, float>(StringComparer.Ordinal);
        foreach (var item in b.Items) scores.TryAdd("b:" + item.ItemId, item.Score);
        foreach (var item in a.Items) scores.TryAdd("a:" + item.ItemId, item.Score);
        // The coin is the user's and its state's: the same session asked twice gets the same list (and a replay is reproducible).
        var coin = new Random(Actors.Routing.KafkaPartitioner.Murmur2(System.Text.Encoding.UTF8.GetBytes(a.UserId)) ^ (int)a.EventsReflected);
        var (items, teams) = TeamDraft.Interleave([.. a.Items.Select(i => i.ItemId)], [.. b.Items.Select(i => i.ItemId)], k, coin);
        var drafted = new RecommendedItemDto[items.Length];
        var names = new string?[items.Length];
        for (var i = 0; i < items.Length; i++)
        {
            names[i] = variants[teams[i]].Name;
            drafted[i] = new RecommendedItemDto(items[i], scores[(teams[i] == 0 ? "a:" : "b:") + items[i]], names[i]);
        }

        return (a with { Items = drafted, ColdStart = a.ColdStart && b.ColdStart }, names);
    }

    private readonly ExperimentTally _tally = ExperimentTally.For(system);
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public ExperimentAssignment Assign(string userId)
    {
        var live = directory.Live(_time.GetUtcNow());
        return live is null ? ExperimentAssignment.None : new ExperimentAssignment(live, live.VariantIndexOf(userId));
    }

    /// <summary>The answer as served: with its id and assignment; the impression is recorded and told.</summary>
    /// <param name="started">When the query arrived (<see cref="TimeProvider.GetTimestamp"/>), for the variant's latency.</param>
    public RecommendationsDto Served(ExperimentAssignment assignment, RecommendationsDto answer, long started, string?[]? teams = null)
    {
        var id = Guid.CreateVersion7().ToString("N");
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var variant = assignment.Definition?.Name;
        var experiment = assignment.Experiment;
        var served = answer with
        {
            RecommendationId = id,
            Experiment = experiment is null ? null : new ExperimentAssignmentDto(
                experiment.Name, KindName(experiment.Kind),
                experiment.Kind == ExperimentKind.Interleaving ? string.Join("+", experiment.Variants.Select(v => v.Name)) : variant!),
        };

        var items = new string[answer.Items.Count];
        for (var i = 0; i < items.Length; i++) items[i] = answer.Items[i].ItemId;
        impressions?.TryProduce(new ImpressionRecord(
            id, answer.UserId, experiment?.Name, served.Experiment?.Variant, answer.Model.Name, answer.Model.Version,
            [.. answer.Items.Select(i => (i.ItemId, i.Score))], teams, answer.ColdStart, answer.Degraded?.Reason, now));

        if (experiment is not null)
        {
            string[] variants;
            byte[] teamIndexes;
            if (experiment.Kind == ExperimentKind.Interleaving)
            {
                variants = [experiment.Variants[0].Name, experiment.Variants[1].Name];
                teamIndexes = new byte[items.Length];
                for (var i = 0; i < items.Length; i++) teamIndexes[i] = (byte)(teams is { } t && i < t.Length && t[i] == variants[1] ? 1 : 0);
            }
            else
            {
                variants = [variant!];
                teamIndexes = [];
            }

            _tally.Impression(experiment.Name, variants[0], items, _time.GetElapsedTime(started).TotalSeconds);
            region.ActorRef.Tell(new ImpressionServed(answer.UserId, id, experiment.Name, variants, items, teamIndexes, now), ActorRefs.NoSender);
        }
        else if (tellEveryAnswer && answer.Degraded is null)
        {
            // The ignored-items rule (Sessions:SuppressIgnoredAfter) needs every list the user was shown.
            region.ActorRef.Tell(new ImpressionServed(answer.UserId, id, string.Empty, [], items, [], now), ActorRefs.NoSender);
        }

        return served;
    }
}
