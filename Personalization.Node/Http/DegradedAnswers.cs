using Personalization.Actors.Filters;
using Personalization.Actors.Model;

namespace Personalization.Node.Http;

/// <summary>
/// The answer when the user's actor cannot answer within the query budget: the last list this node served the user,
/// with its age, or else the popular items of the model that serves the user (the user's own recent items cannot be
/// left out then: the session is what is unreachable). Both say why in <see cref="DegradedDto"/>; the status stays
/// 200, because a product surface can show either.
/// </summary>
public static class DegradedAnswers
{
    /// <summary>Creates the degraded-answer series at 0 (dashboards and rates need them before the first one).</summary>
    public static void TouchMetrics()
    {
        Metrics.Degraded.WithLabels("last_answer");
        Metrics.Degraded.WithLabels("popular");
    }

    /// <param name="filter">The request's business filters: what they remove now (an item withdrawn since, the request's
    /// excludes) is left out of the old list and of the popular items too.</param>
    public static RecommendationsDto? For(string userId, int k, string why, LastAnswers lastAnswers, IModelProvider models, ItemFilter filter)
    {
        if (lastAnswers.TryGet(userId, out var last, out var servedAt))
        {
            Metrics.Degraded.WithLabels("last_answer").Inc();
            var kept = filter.Apply(last!.Items, k, int.MaxValue).Kept;
            return UserEndpoints.Dto(last with { Items = kept }, k, new DegradedDto(why + "; this is the last list served to the user", Environment.TickCount64 - servedAt));
        }

        IModelRuntime model;
        try
        {
            model = models.ForUser(userId);
        }
        catch (InvalidOperationException)
        {
            return null; // no model loaded yet: nothing to answer with
        }

        var items = new List<RecommendedItemDto>(k);
        var rank = 0;
        foreach (var index in model.PopularItems)
        {
            rank++;
            var id = model.Vocabulary.IdAt(index);
            if (!filter.Keeps(id)) continue;
            items.Add(new RecommendedItemDto(id, 1f / rank));
            if (items.Count == k) break;
        }

        Metrics.Degraded.WithLabels("popular").Inc();
        return new RecommendationsDto(userId, items, new ModelDto(model.Name, model.Version), 0, true,
            new DegradedDto(why + "; these are the popular items", null));
    }

    private static class Metrics
    {
        public static readonly Prometheus.Counter Degraded = Prometheus.Metrics.CreateCounter(
            "personalization_recommendations_degraded_total",
            "Recommendation queries answered without the user's live ranking (its actor did not answer in time), by what was served.",
            "served");
    }
}
