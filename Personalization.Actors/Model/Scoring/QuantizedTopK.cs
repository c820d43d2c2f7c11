using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Personalization.Actors.Model.Scoring;

/// <summary>
/// Top-k of a linear score graph in two passes (docs/DESIGN.md, "Scoring"): every item scored approximately with an
/// int8 copy of the item table (a quarter of the fp32 table's memory traffic, which bounds a scan of the catalog), the
/// best <see cref="CandidatesFor"/> kept, and those re-scored exactly in fp32 and ranked. The served list is the exact
/// list unless an item of the exact top-k scored below all those candidates in int8; the load tool measures how often
/// that happens (<c>scoring</c> scenario). One instance per thread: the scratch buffers are its own.
/// </summary>
public sealed class QuantizedTopK
{
    private const int Lane = 32; // int8 values per 256-bit vector

    private readonly LinearItemScores _exact;
    private readonly int _paddedSize;
    private readonly sbyte[] _table;     // N rows of _paddedSize int8
    private readonly float[] _rowScale;  // per item: max |E_i| / 127
    private readonly float[] _approx;    // scratch: approximate scores of the current query
    private readonly sbyte[] _state;     // scratch: the quantized state
    private ScoredItem[] _heap = new ScoredItem[128];

    public QuantizedTopK(LinearItemScores exact)
    {
        _exact = exact;
        var n = exact.ItemCount;
        var d = exact.StateSize;
        _paddedSize = (d + Lane - 1) / Lane * Lane;
        _table = GC.AllocateUninitializedArray<sbyte>(n * _paddedSize, pinned: true);
        Array.Clear(_table);
        _rowScale = new float[n];
        for (var i = 0; i < n; i++)
        {
            var row = exact.Row(i);
            var max = 0f;
            foreach (var v in row) max = Math.Max(max, Math.Abs(v));
            var scale = max / 127f;
            _rowScale[i] = scale;
            if (scale == 0) continue;
            for (var j = 0; j < d; j++) _table[i * _paddedSize + j] = (sbyte)Math.Round(row[j] / scale);
        }

        _approx = new float[n];
        _state = GC.AllocateUninitializedArray<sbyte>(_paddedSize, pinned: true);
    }

    /// <summary>Whether this CPU has the instructions the int8 pass uses (AVX2); without them scoring stays with ONNX Runtime.</summary>
    public static bool IsSupported => Avx2.IsSupported;

    /// <summary>How many int8 candidates are re-scored exactly for a top-<paramref name="k"/>.</summary>
    public static int CandidatesFor(int k) => k + Math.Max(64, k);

    public ScoredItem[] TopK(ReadOnlySpan<float> state, int k, IReadOnlyCollection<int> exclude)
    {
        if (k <= 0) return [];
        var candidates = CandidatesFor(k);
        if (_heap.Length < candidates) _heap = new ScoredItem[candidates];
        var t = QuantizeState(state);
        ApproximateScores(t);
        var shortlist = Shortlist(candidates, exclude);

        // Exact scores of the shortlist, best first; equal scores keep the lower index (as TopKSelector).
        for (var i = 0; i < shortlist.Length; i++)
            shortlist[i] = new ScoredItem(shortlist[i].Index, _exact.Score(shortlist[i].Index, state));
        Array.Sort(shortlist, static (a, b) => a.Score != b.Score ? b.Score.CompareTo(a.Score) : a.Index.CompareTo(b.Index));
        return shortlist.Length <= k ? shortlist : shortlist.AsSpan(0, k).ToArray();
    }

    private float QuantizeState(ReadOnlySpan<float> state)
    {
        var max = 0f;
        foreach (var v in state) max = Math.Max(max, Math.Abs(v));
        var t = max / 127f;
        Array.Clear(_state);
        if (t == 0 || float.IsNaN(t)) return 0;
        for (var j = 0; j < state.Length; j++) _state[j] = (sbyte)Math.Round(state[j] / t);
        return t;
    }

    private unsafe void ApproximateScores(float t)
    {
        var n = _exact.ItemCount;
        var bias = _exact.Bias;
        var chunks = _paddedSize / Lane;
        var ones = Vector256.Create((short)1);
        fixed (sbyte* table = _table)
        fixed (sbyte* s = _state)
        fixed (float* approx = _approx)
        fixed (float* scale = _rowScale)
        fixed (float* b = bias)
        {
            var i = 0;
            if (chunks == 2)
            {
                // D ≤ 64 (every model of ours): the state's two vectors stay in registers for the whole scan.
                var s0 = Avx.LoadVector256(s);
                var s1 = Avx.LoadVector256(s + Lane);
                var a0 = Avx2.Abs(s0);
                var a1 = Avx2.Abs(s1);
                var tv = Vector128.Create(t);
                for (; i + 4 <= n; i += 4)
                {
                    var row = table + i * 2 * Lane;
                    var d0 = Dot2(row, s0, s1, a0, a1, ones);
                    var d1 = Dot2(row + 2 * Lane, s0, s1, a0, a1, ones);
                    var d2 = Dot2(row + 4 * Lane, s0, s1, a0, a1, ones);
                    var d3 = Dot2(row + 6 * Lane, s0, s1, a0, a1, ones);
                    var h = Avx2.HorizontalAdd(Avx2.HorizontalAdd(d0, d1), Avx2.HorizontalAdd(d2, d3));
                    var dots = Sse2.Add(h.GetLower(), h.GetUpper());
                    var scaled = Sse.Multiply(Sse2.ConvertToVector128Single(dots), Sse.Multiply(Sse.LoadVector128(scale + i), tv));
                    Sse.Store(approx + i, Sse.Add(scaled, Sse.LoadVector128(b + i)));
                }
            }

            for (; i + 4 <= n; i += 4)
            {
                var d0 = Dot(table + (i + 0) * _paddedSize, s, chunks, ones);
                var d1 = Dot(table + (i + 1) * _paddedSize, s, chunks, ones);
                var d2 = Dot(table + (i + 2) * _paddedSize, s, chunks, ones);
                var d3 = Dot(table + (i + 3) * _paddedSize, s, chunks, ones);
                // Four 8-lane sums → four dot products: two rounds of pairwise adds, then the two 128-bit halves.
                var h = Avx2.HorizontalAdd(Avx2.HorizontalAdd(d0, d1), Avx2.HorizontalAdd(d2, d3));
                var dots = Sse2.Add(h.GetLower(), h.GetUpper());
                var scaled = Sse.Multiply(Sse2.ConvertToVector128Single(dots), Sse.Multiply(Sse.LoadVector128(scale + i), Vector128.Create(t)));
                Sse.Store(approx + i, Sse.Add(scaled, Sse.LoadVector128(b + i)));
            }

            for (; i < n; i++)
            {
                var v = Dot(table + i * _paddedSize, s, chunks, ones);
                approx[i] = Vector256.Sum(v) * scale[i] * t + b[i];
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector256<int> Dot2(sbyte* row, Vector256<sbyte> s0, Vector256<sbyte> s1, Vector256<byte> a0, Vector256<byte> a1, Vector256<short> ones)
    {
        var p0 = Avx2.MultiplyAddAdjacent(a0, Avx2.Sign(Avx.LoadVector256(row), s0));
        var p1 = Avx2.MultiplyAddAdjacent(a1, Avx2.Sign(Avx.LoadVector256(row + Lane), s1));
        return Avx2.Add(Avx2.MultiplyAddAdjacent(p0, ones), Avx2.MultiplyAddAdjacent(p1, ones));
    }

    /// <summary>
    /// The best <paramref name="count"/> approximate scores (item 0 and <paramref name="exclude"/> left out), in no
    /// particular order: a min-heap whose root is the bar, and eight scores at a time compared with it, so that once
    /// the heap is full a block below the bar costs one comparison.
    /// </summary>
    private unsafe ScoredItem[] Shortlist(int count, IReadOnlyCollection<int> exclude)
    {
        var scores = _approx;
        scores[0] = float.NegativeInfinity;
        foreach (var index in exclude)
            if ((uint)index < (uint)scores.Length) scores[index] = float.NegativeInfinity;
        var heap = _heap;
        var size = 0;
        var n = scores.Length;
        var i = 1;
        for (; i < n && size < count; i++)
        {
            if (!(scores[i] > float.NegativeInfinity)) continue; // excluded, -inf or NaN
            heap[size] = new ScoredItem(i, scores[i]);
            SiftUp(heap, size++);
        }

        fixed (float* p = scores)
        {
            while (i < n)
            {
                if (size == count && i + 8 <= n)
                {
                    var bar = Vector256.Create(heap[0].Score);
                    if (Avx.MoveMask(Avx.CompareGreaterThan(Avx.LoadVector256(p + i), bar)) == 0)
                    {
                        i += 8;
                        continue;
                    }
                }

                var score = p[i];
                if (score > float.NegativeInfinity)
                {
                    if (size < count)
                    {
                        heap[size] = new ScoredItem(i, score);
                        SiftUp(heap, size++);
                    }
                    else if (score > heap[0].Score)
                    {
                        heap[0] = new ScoredItem(i, score);
                        SiftDown(heap, size);
                    }
                }

                i++;
            }
        }

        return heap.AsSpan(0, size).ToArray();
    }

    private static void SiftUp(ScoredItem[] heap, int i)
    {
        while (i > 0)
        {
            var parent = (i - 1) >> 1;
            if (heap[i].Score >= heap[parent].Score) return;
            (heap[i], heap[parent]) = (heap[parent], heap[i]);
            i = parent;
        }
    }

    private static void SiftDown(ScoredItem[] heap, int count)
    {
        var i = 0;
        while (true)
        {
            var left = 2 * i + 1;
            if (left >= count) return;
            var least = left + 1 < count && heap[left + 1].Score < heap[left].Score ? left + 1 : left;
            if (heap[least].Score >= heap[i].Score) return;
            (heap[i], heap[least]) = (heap[least], heap[i]);
            i = least;
        }
    }

    // Σ row·state over the chunks, in 8 int32 lanes. maddubs needs one unsigned operand: |s| times row·sign(s).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector256<int> Dot(sbyte* row, sbyte* s, int chunks, Vector256<short> ones)
    {
        var acc = Vector256<int>.Zero;
        for (var c = 0; c < chunks; c++)
        {
            var sv = Avx.LoadVector256(s + c * Lane);
            var rv = Avx.LoadVector256(row + c * Lane);
            var products = Avx2.MultiplyAddAdjacent(Avx2.Abs(sv), Avx2.Sign(rv, sv)); // pairs, ≤ 2·127·127: no saturation
            acc = Avx2.Add(acc, Avx2.MultiplyAddAdjacent(products, ones));
        }

        return acc;
    }
}
