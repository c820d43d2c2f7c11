using System.Text.Json;
using System.Text.Json.Serialization;

namespace Personalization.Tests.Model;

/// <summary>parity.json: the trainer's full-sequence PyTorch outputs for a few users.</summary>
internal sealed record ParityData([property: JsonPropertyName("tolerance")] double Tolerance, [property: JsonPropertyName("cases")] ParityCase[] Cases)
{
    public static ParityData Load(string folder) =>
        JsonSerializer.Deserialize<ParityData>(File.ReadAllText(System.IO.Path.Combine(folder, "parity.json")))
        ?? throw new InvalidOperationException("parity.json is empty");
}

internal sealed record ParityCase(
    [property: JsonPropertyName("user")] string User,
    [property: JsonPropertyName("items")] string[] Items,
    [property: JsonPropertyName("top10")] string[] Top10,
    [property: JsonPropertyName("top10_scores")] float[] Top10Scores,
    [property: JsonPropertyName("top10_unseen")] string[] Top10Unseen,
    [property: JsonPropertyName("score_indices")] int[] ScoreIndices,
    [property: JsonPropertyName("score_values")] float[] ScoreValues,
    [property: JsonPropertyName("final_state")] float[] FinalState)
{
    public override string ToString() => $"{User} ({Items.Length} items)";
}
