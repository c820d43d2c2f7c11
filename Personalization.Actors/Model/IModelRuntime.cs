namespace Personalization.Actors.Model;

/// <summary>An item of a ranked list: the model's index (row of items.txt) and its score.</summary>
public readonly record struct ScoredItem(int Index, float Score);

/// <summary>
/// What user actors need from a loaded model: incremental steps and top-k scoring, both asynchronous (they run
/// micro-batched on the inference threads, never on an actor's thread). One instance per loaded model version.
/// </summary>
public interface IModelRuntime
{
    /// <summary>Name and version of the model folder (e.g. "gru-games" / "2026-11-25.1").</summary>
    string Name { get; }

    string Version { get; }

    /// <summary>Size D of the opaque state vector; a new user's state is D zeros.</summary>
    int StateSize { get; }

    /// <summary>Vocabulary: external item id ↔ model index (0 = padding/unknown).</summary>
    ItemVocabulary Vocabulary { get; }

    /// <summary>Cold-start list: the most popular items (model indices), most popular first.</summary>
    IReadOnlyList<int> PopularItems { get; }

    /// <summary>Applies <paramref name="items"/> (model indices, all &gt; 0) in order to <paramref name="state"/>; returns the new state (a new array).</summary>
    Task<float[]> StepAsync(float[] state, int[] items, CancellationToken cancellationToken = default);

    /// <summary>The <paramref name="k"/> best items for <paramref name="state"/>, best first, leaving out <paramref name="exclude"/> and index 0.</summary>
    Task<ScoredItem[]> TopKAsync(float[] state, int k, IReadOnlyCollection<int> exclude, CancellationToken cancellationToken = default);
}
