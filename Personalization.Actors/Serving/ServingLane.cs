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
        // The cached ranking answers while the view has not changed since it was computed; else a copy of the view
        // (taken without waiting for its writer, the user's actor) is ranked.
        var version = view.Version;
        if (view.Ranking is { } cached && cached.Version == version && cached.Model == model && cached.Answers(k))
            return Answer(view.UserId, cached, k, cached.EventCount, "model");
        ServingSnapshot snapshot;
        var spin = new SpinWait();
        while (!view.TryRead(out snapshot)) spin.SpinOnce();
        if (model.Version != snapshot.ModelVersion || model.Name != snapshot.ModelName) return null;
        var size = Math.Max(k, cachedRankingSize);
        var items = await model.TopKAsync(snapshot.State, size, SeenItems(snapshot.ExcludedItemIds, model.Vocabulary), cancellationToken).ConfigureAwait(false);
        var ranking = new ServedRanking(items, model, size, snapshot.Version, snapshot.EventCount);
        if (view.Version == snapshot.Version) view.Ranking = ranking;
        return Answer(view.UserId, ranking, k, snapshot.EventCount, "model");
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
        var ranking = state.Ranking;
        if (ranking is null || ranking.Model != model || !ranking.Answers(k))
        {
            var excluded = view.Read().ExcludedItemIds;
            var size = Math.Max(k, cachedRankingSize);
            var items = await model.TopKAsync(state.State, size, SeenItems(excluded, model.Vocabulary), cancellationToken).ConfigureAwait(false);
            ranking = state.Ranking = new ServedRanking(items, model, size, 0, state.EventCount);
        }

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

    // The actor's rule, as the view carries it: its excluded items the model knows are never recommended.
    private static HashSet<int> SeenItems(string[] excludedItemIds, ItemVocabulary vocabulary)
    {
        var seen = new HashSet<int>(excludedItemIds.Length);
        foreach (var id in excludedItemIds)
        {
            var index = vocabulary.IndexOf(id);
            if (index > 0) seen.Add(index);
        }

        return seen;
    }
}
