using Personalization.Actors.Filters;
using Personalization.Actors.Sessions;

namespace Personalization.Node.Http.Filters;

/// <summary>
/// Gets a ranked list long enough that k items are left once the request's <see cref="ItemFilter"/> has removed what
/// it must (docs/DESIGN.md, "Business filters"). The first ask is for <see cref="FirstFilteredSize"/> items — the
/// length rankings are cached at, so it costs no new ranking; when filtering leaves fewer than k and the list was cut
/// at that length, the next ask is for twice as many, up to <see cref="MaxRankingSize"/>. A list shorter than asked
/// means the catalog (minus the user's own items) is exhausted: the answer then has fewer than k items. With nothing
/// to filter, k items are asked for, as before filters existed.
/// </summary>
public static class FilteredRankings
{
    /// <summary>Rankings are cached at this length (<c>ServingLane</c>, <c>UserSessionSettings.CachedRankingSize</c>).</summary>
    public const int FirstFilteredSize = 50;

    /// <summary>
    /// The longest ranking a filtered query asks for. Above <see cref="UserEndpoints.MaxK"/> on purpose (the public
    /// bound is on k, not on how far down the ranking a filter may look); bounded because an answer from a user's actor
    /// on another node crosses remoting, whose frames hold 128,000 bytes (2,000 items with ids of up to ~50 characters).
    /// </summary>
    public const int MaxRankingSize = 2_000;

    private static int FirstSize(ItemFilter filter, int k) => filter.IsActive ? Math.Max(k, FirstFilteredSize) : k;

    private static int NextSize(int size) => Math.Min(size * 2, MaxRankingSize);

    /// <summary>The serving lane's answer filtered (null when the user's actor must answer: the lane's own rule).</summary>
    public static async ValueTask<Recommendations?> FromLaneAsync(ItemFilter filter, int k, Func<int, ValueTask<Recommendations?>> rank)
    {
        var size = FirstSize(filter, k);
        Recommendations? best = null;
        while (await rank(size) is { } answer)
        {
            var outcome = filter.Apply(answer.Items, k, size);
            best = answer with { Items = outcome.Kept };
            if (!outcome.NeedsLongerList) return best;
            if (size == MaxRankingSize) return Short(best);
            size = NextSize(size);
            Metrics.LongerRankings.Inc();
        }

        return best is null ? null : Short(best); // the view went away between two asks: what was filtered so far
    }

    /// <summary>
    /// The user actor's answer filtered, within one query budget for all asks. <paramref name="ask"/> gets the size and
    /// the budget left; its failure on the first ask is returned as it is (the endpoint answers degraded), on a later
    /// one the shorter list already filtered is the answer.
    /// </summary>
    public static async Task<(Recommendations? Value, string? Why, IResult? Error)> FromActorAsync(
        ItemFilter filter, int k, TimeSpan budget, Func<int, TimeSpan, Task<(Recommendations? Value, string? Why, IResult? Error)>> ask)
    {
        var started = Environment.TickCount64;
        var size = FirstSize(filter, k);
        Recommendations? best = null;
        while (true)
        {
            var left = budget - TimeSpan.FromMilliseconds(Environment.TickCount64 - started);
            if (best is not null && left <= TimeSpan.Zero) return (Short(best), null, null);
            var answer = await ask(size, left);
            if (answer.Value is not { } value) return best is null ? answer : (Short(best), null, null);
            var outcome = filter.Apply(value.Items, k, size);
            best = value with { Items = outcome.Kept };
            if (!outcome.NeedsLongerList) return (best, null, null);
            if (size == MaxRankingSize) return (Short(best), null, null);
            size = NextSize(size);
            Metrics.LongerRankings.Inc();
        }
    }

    private static Recommendations Short(Recommendations answer)
    {
        Metrics.ShortAnswers.Inc();
        return answer;
    }

    private static class Metrics
    {
        public static readonly Prometheus.Counter LongerRankings = Prometheus.Metrics.CreateCounter(
            "personalization_filter_longer_rankings_total",
            "Longer rankings asked for because the business filters left fewer than k items of the ranking a query had.");

        public static readonly Prometheus.Counter ShortAnswers = Prometheus.Metrics.CreateCounter(
            "personalization_filter_short_answers_total",
            "Answers with fewer than k items because the business filters left no more within the longest ranking asked for.");
    }
}
