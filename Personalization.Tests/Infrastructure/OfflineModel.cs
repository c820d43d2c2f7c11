using Personalization.Actors.Model;

namespace Personalization.Tests.Infrastructure;

/// <summary>
/// The expected answers, computed without the engine: a user's items stepped one by one (B=1) straight through the
/// ONNX graphs, then scored, the seen items left out — what the engine must reproduce whatever happened on the way
/// (batching, redelivery, restarts).
/// </summary>
public sealed class OfflineModel : IDisposable
{
    private readonly OnnxSequenceModel _model;

    public OfflineModel(string folder)
    {
        _model = OnnxSequenceModel.Open(folder);
        Vocabulary = _model.Folder.Vocabulary;
    }

    public ItemVocabulary Vocabulary { get; }

    public float[] StateAfter(IEnumerable<string> items)
    {
        var state = new float[_model.StateSize];
        var next = new float[_model.StateSize];
        foreach (var item in items)
        {
            var index = Vocabulary.IndexOf(item);
            if (index == 0) continue; // the engine does not step on items the model does not know
            _model.Step([index], state, next);
            (state, next) = (next, state);
        }

        return state;
    }

    /// <summary>Top k for the user's whole history, excluding the <paramref name="recentCapacity"/> most recent items (as sessions do).</summary>
    public ScoredItem[] TopK(IReadOnlyList<string> items, int k, int recentCapacity)
    {
        var state = StateAfter(items);
        var scores = new float[_model.ItemCount];
        _model.Score(state, scores);
        var exclude = items.Skip(Math.Max(0, items.Count - recentCapacity)).Select(Vocabulary.IndexOf).Where(i => i > 0).ToHashSet();
        exclude.Add(0);
        return scores.Select((s, i) => new ScoredItem(i, s)).Where(x => !exclude.Contains(x.Index))
            .OrderByDescending(x => x.Score).ThenBy(x => x.Index).Take(k).ToArray();
    }

    public void Dispose() => _model.Dispose();
}
