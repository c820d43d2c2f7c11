using Personalization.Actors.Model;
using Personalization.Actors.Sessions;
using Personalization.Actors.Telemetry;

namespace Personalization.Actors.Serving;

/// <summary>
/// Answers "what next for user U?" from the user's <see cref="ServingView"/> on this node, on the serving threads and
/// the model's score thread: the same list the user's actor would give (exact scores of every item, the recent items
/// left out), without a message to it. A user whose view is not here (lives on another node, not started, no model
/// state yet) or whose view belongs to another model than the one now serving the user (the actor rebuilds its state
/// first) is not answered here: the caller asks the actor. The same holds for an answer with a companion model
/// (<see cref="TryAnswerAsync(string, int, ModelKey, CancellationToken)"/>): answered from the companion's state in the
/// view while the provider still names that model for the user, else by the actor.
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
        var ranking = view.Ranking = await RankedAsync(view.Ranking, model, view.State, view, k, cancellationToken).ConfigureAwait(false);

        return Answer(view.UserId, ranking, k, view.EventCount, "model");
    }

    /// <summary>
    /// The answer ranked with the state of companion <paramref name="companion"/> in the user's view (the same list the
    /// actor would give for that companion), or null when the actor must answer: no view here, no state of that
    /// companion in it yet, or the provider no longer names that model for the user.
    /// </summary>
    public async ValueTask<Recommendations?> TryAnswerAsync(string userId, int k, ModelKey companion, CancellationToken cancellationToken = default)
    {
        if (!Board.TryGet(userId, out var view) || view.Companion(companion) is not { } state) return null;
        IModelRuntime? model = null;
        foreach (var named in models.CompanionsFor(userId))
        {
            if (companion.Is(named))
            {
                model = named;
                break;
            }
        }

        if (model is null) return null;
        var ranking = state.Ranking = await RankedAsync(state.Ranking, model, state.State, view, k, cancellationToken).ConfigureAwait(false);

        return Answer(view.UserId, ranking, k, state.EventCount, "companion");
    }

    private static Recommendations Answer(string userId, ServedRanking ranking, int k, long eventsReflected, string countedAs)
    {
        var count = Math.Min(k, ranking.Items.Length);
        var items = new RecommendedItem[count];
        for (var i = 0; i < count; i++)
            items[i] = new RecommendedItem(ranking.Model.Vocabulary.IdAt(ranking.Items[i].Index), ranking.Items[i].Score);
        EngineMetrics.Recommendations.WithLabels(countedAs).Inc();
        return new Recommendations(userId, items, ranking.Model.Name, ranking.Model.Version, eventsReflected, false);
    }

    /// <summary>The cached ranking when it answers <paramref name="k"/> for <paramref name="model"/>, else a new one (several queries racing compute the same list).</summary>
    private async ValueTask<ServedRanking> RankedAsync(ServedRanking? cached, IModelRuntime model, float[] state, ServingView view, int k, CancellationToken cancellationToken)
    {
        if (cached is not null && cached.Model == model && cached.Answers(k)) return cached;
        var size = Math.Max(k, cachedRankingSize);
        var items = await model.TopKAsync(state, size, SeenItems(view, model.Vocabulary), cancellationToken).ConfigureAwait(false);
        return new ServedRanking(items, model, size);
    }

    // The actor's rule, as the view carries it: its excluded items the model knows are never recommended.
    private static HashSet<int> SeenItems(ServingView view, ItemVocabulary vocabulary)
    {
        var seen = new HashSet<int>(view.ExcludedItemIds.Length);
        foreach (var id in view.ExcludedItemIds)
        {
            var index = vocabulary.IndexOf(id);
            if (index > 0) seen.Add(index);
        }

        return seen;
    }
}
