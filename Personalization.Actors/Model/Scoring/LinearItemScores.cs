namespace Personalization.Actors.Model.Scoring;

/// <summary>
/// The item table of a score graph that is linear in the state — scores = E·state + b, as every model of ours
/// (manifest: "dot with item embeddings + item bias") — read out of the graph itself by running it on the zero state
/// (→ b) and the unit states (→ the columns of E), then checked on random states. A graph that is not linear is left
/// to ONNX Runtime (<see cref="TryRead"/> says why).
/// </summary>
public sealed class LinearItemScores
{
    private LinearItemScores(int itemCount, int stateSize, float[] embeddings, float[] bias)
    {
        ItemCount = itemCount;
        StateSize = stateSize;
        Embeddings = embeddings;
        Bias = bias;
    }

    /// <summary>N, item 0 (padding) included.</summary>
    public int ItemCount { get; }

    public int StateSize { get; }

    /// <summary>E, N rows of D, row-major.</summary>
    public float[] Embeddings { get; }

    public float[] Bias { get; }

    public ReadOnlySpan<float> Row(int item) => Embeddings.AsSpan(item * StateSize, StateSize);

    /// <summary>The exact score of one item (the graph's, up to float rounding).</summary>
    public float Score(int item, ReadOnlySpan<float> state) =>
        System.Numerics.Tensors.TensorPrimitives.Dot(Row(item), state) + Bias[item];

    /// <summary>Reads the table; null with <paramref name="reason"/> when the graph is not linear in the state.</summary>
    public static LinearItemScores? TryRead(OnnxSequenceModel model, out string reason)
    {
        var d = model.StateSize;
        var n = model.ItemCount;
        var embeddings = new float[n * d];
        var bias = new float[n];

        // Row 0 of the probe = the zero state, row 1 + j = unit vector j; run in batches the graph accepts.
        var probes = d + 1;
        var batch = Math.Max(1, model.MaxScoreBatch);
        for (var first = 0; first < probes; first += batch)
        {
            var rows = Math.Min(batch, probes - first);
            var states = model.ScoreStates(rows);
            states.Clear();
            for (var r = 0; r < rows; r++)
                if (first + r > 0) states[r * d + (first + r - 1)] = 1f;
            var scores = model.RunScore(rows);
            for (var r = 0; r < rows; r++)
            {
                var row = scores.Slice(r * n, n);
                var probe = first + r;
                if (probe == 0) row.CopyTo(bias);
                else
                    for (var i = 0; i < n; i++) embeddings[i * d + probe - 1] = row[i];
            }
        }

        for (var i = 0; i < n; i++)
        for (var j = 0; j < d; j++)
            embeddings[i * d + j] -= bias[i];
        var table = new LinearItemScores(n, d, embeddings, bias);

        // Linear? Random states of the size live states have, compared with the graph item by item.
        var random = new Random(17);
        var checks = Math.Min(4, batch);
        var check = model.ScoreStates(checks);
        for (var i = 0; i < check.Length; i++) check[i] = (float)(random.NextDouble() * 2 - 1);
        var copy = check.ToArray();
        var graph = model.RunScore(checks);
        for (var r = 0; r < checks; r++)
        {
            var state = copy.AsSpan(r * d, d);
            for (var i = 0; i < n; i++)
            {
                var expected = graph[r * n + i];
                var got = table.Score(i, state);
                if (float.IsNaN(expected) && float.IsNaN(got)) continue;
                if (!(Math.Abs(expected - got) <= 1e-3f * (1 + Math.Abs(expected))))
                {
                    reason = $"the score graph is not linear in the state (item {i}: graph {expected}, E·s+b {got})";
                    return null;
                }
            }
        }

        reason = "";
        return table;
    }
}
