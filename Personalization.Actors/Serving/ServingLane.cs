using Personalization.Actors.Model;
using Personalization.Actors.Sessions;
using Personalization.Actors.Telemetry;

namespace Personalization.Actors.Serving;

/// <summary>
/// Answers "what next for user U?" from the user's <see cref="ServingView"/> on this node, on the serving threads and
/// the model's score thread: the same list the user's actor would give (exact scores of every item, the recent items
/// left out), without a message to it. A user whose view is not here (lives on another node, not started, no model
/// state yet) or whose view belongs to another model than the one now serving the user (the actor rebuilds its state
/// first) is not answered here: the caller asks the actor.
/// </summary>
public sealed class ServingLane(ServingBoard board, IModelProvider models, int cachedRankingSize = 50)
{
    public ServingBoard Board { get; } = board;

    /// <summary>The answer, or null when the user's actor must answer (see the class summary).</summary>
    public async ValueTask<Recommendations?> TryAnswerAsync(string userId, int k, CancellationToken cancellationToken = default)
    {
        if (!Board.TryGet(userId, out var view)) return null;
        IModelRuntime model;
        try
        {
            model = models.ForUser(userId);
        }
        catch (InvalidOperationException)
        {
            return null; // no model loaded
        }

        if (model.Version != view.ModelVersion || model.Name != view.ModelName) return null;
        var ranking = view.Ranking;
        if (ranking is null || ranking.Model != model || !ranking.Answers(k))
        {
            var size = Math.Max(k, cachedRankingSize);
            var items = await model.TopKAsync(view.State, size, SeenItems(view, model.Vocabulary), cancellationToken).ConfigureAwait(false);
            ranking = new ServedRanking(items, model, size);
            view.Ranking = ranking;
        }

        return Answer(view, ranking, k);
    }

    private static Recommendations Answer(ServingView view, ServedRanking ranking, int k)
    {
        var count = Math.Min(k, ranking.Items.Length);
        var items = new RecommendedItem[count];
        for (var i = 0; i < count; i++)
            items[i] = new RecommendedItem(ranking.Model.Vocabulary.IdAt(ranking.Items[i].Index), ranking.Items[i].Score);
        EngineMetrics.Recommendations.WithLabels("model").Inc();
        return new Recommendations(view.UserId, items, ranking.Model.Name, ranking.Model.Version, view.EventCount, false);
    }

    // The same rule as the actor's: the recent items the model knows are never recommended back.
    private static HashSet<int> SeenItems(ServingView view, ItemVocabulary vocabulary)
    {
        var seen = new HashSet<int>(view.RecentItemIds.Length);
        foreach (var id in view.RecentItemIds)
        {
            var index = vocabulary.IndexOf(id);
            if (index > 0) seen.Add(index);
        }

        return seen;
    }
}
