namespace Personalization.Actors.Model;

/// <summary>
/// Top-k of one score row by a size-k min-heap in one pass (O(N log k), no sort of N). Ties go to the lower index,
/// so results are deterministic.
/// </summary>
public static class TopKSelector
{
    /// <summary>
    /// The <paramref name="k"/> best items of <paramref name="scores"/> (a row of N, column 0 padding), best first,
    /// leaving out index 0, <paramref name="exclude"/> and NaN scores. Masks the excluded entries of
    /// <paramref name="scores"/> in place (it is a scratch row). <paramref name="heap"/> is scratch of at least k.
    /// </summary>
    public static ScoredItem[] Select(Span<float> scores, int k, IReadOnlyCollection<int> exclude, Span<ScoredItem> heap)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        if (k == 0 || scores.Length < 2) return [];
        if (heap.Length < k) throw new ArgumentException($"heap scratch holds {heap.Length} but k is {k}", nameof(heap));

        // Masking costs |exclude| writes; testing membership per candidate would cost a lookup per admitted item.
        scores[0] = float.NegativeInfinity;
        Mask(scores, exclude);

        var count = 0;
        for (var i = 1; i < scores.Length; i++)
        {
            var score = scores[i];
            if (!(score > float.NegativeInfinity)) continue; // masked, -inf or NaN
            if (count < k)
            {
                heap[count] = new ScoredItem(i, score);
                SiftUp(heap, count++);
            }
            else if (score > heap[0].Score)
            {
                // Equal scores keep the earlier (lower) index already in the heap.
                heap[0] = new ScoredItem(i, score);
                SiftDown(heap, count);
            }
        }

        // Pop the min repeatedly, filling the result from the back: best first.
        var result = new ScoredItem[count];
        for (var n = count; n > 0; n--)
        {
            result[n - 1] = heap[0];
            heap[0] = heap[n - 1];
            SiftDown(heap, n - 1);
        }

        return result;
    }

    // Concrete types first: enumerating through the interface boxes the enumerator.
    private static void Mask(Span<float> scores, IReadOnlyCollection<int> exclude)
    {
        switch (exclude)
        {
            case int[] array:
                Mask(scores, (ReadOnlySpan<int>)array);
                break;
            case List<int> list:
                Mask(scores, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(list));
                break;
            case HashSet<int> set:
                foreach (var index in set) Mask(scores, index);
                break;
            default:
                foreach (var index in exclude) Mask(scores, index);
                break;
        }
    }

    private static void Mask(Span<float> scores, ReadOnlySpan<int> exclude)
    {
        foreach (var index in exclude) Mask(scores, index);
    }

    private static void Mask(Span<float> scores, int index)
    {
        if ((uint)index < (uint)scores.Length) scores[index] = float.NegativeInfinity;
    }

    // Heap order: "worse" on top. Worse = lower score, or same score and higher index.
    private static bool Worse(in ScoredItem a, in ScoredItem b) => a.Score < b.Score || (a.Score == b.Score && a.Index > b.Index);

    private static void SiftUp(Span<ScoredItem> heap, int i)
    {
        while (i > 0)
        {
            var parent = (i - 1) >> 1;
            if (!Worse(heap[i], heap[parent])) return;
            (heap[i], heap[parent]) = (heap[parent], heap[i]);
            i = parent;
        }
    }

    private static void SiftDown(Span<ScoredItem> heap, int count)
    {
        var i = 0;
        while (true)
        {
            var left = 2 * i + 1;
            if (left >= count) return;
            var worst = left + 1 < count && Worse(heap[left + 1], heap[left]) ? left + 1 : left;
            if (!Worse(heap[worst], heap[i])) return;
            (heap[i], heap[worst]) = (heap[worst], heap[i]);
            i = worst;
        }
    }
}
