using Personalization.Actors.Model;

namespace Personalization.Tests.Sessions;

/// <summary>
/// A model for session rules: items "i1".."iN" (model indices 1..N); a step adds each item's index to state[0] and
/// counts steps in state[1]; a ranking ranks by index, highest first. <see cref="FailSteps"/> makes the next steps fail.
/// </summary>
public sealed class FakeModel(string version, int items = 20, params string[] extraItems) : IModelRuntime
{
    public string Name => "fake";

    public string Version { get; } = version;

    public int StateSize => 2;

    public ItemVocabulary Vocabulary { get; } = new(["", .. Enumerable.Range(1, items).Select(i => $"i{i}"), .. extraItems]);

    public IReadOnlyList<int> PopularItems => Enumerable.Range(1, Vocabulary.Count - 1).ToArray();

    public int FailSteps { get; set; }

    public Task<float[]> StepAsync(float[] state, int[] items, CancellationToken cancellationToken = default)
    {
        if (FailSteps > 0)
        {
            FailSteps--;
            return Task.FromException<float[]>(new InvalidOperationException("step failed (fake)"));
        }

        var next = (float[])state.Clone();
        foreach (var item in items)
        {
            next[0] += item;
            next[1] += 1;
        }

        return Task.FromResult(next);
    }

    public Task<ScoredItem[]> TopKAsync(float[] state, int k, IReadOnlyCollection<int> exclude, CancellationToken cancellationToken = default) =>
        Task.FromResult(Enumerable.Range(1, Vocabulary.Count - 1).Reverse().Where(i => !exclude.Contains(i)).Take(k)
            .Select(i => new ScoredItem(i, i)).ToArray());
}
