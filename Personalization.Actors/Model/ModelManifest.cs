using System.Text.Json;
using System.Text.Json.Serialization;

namespace Personalization.Actors.Model;

/// <summary>manifest.json of a model folder (format "personalization-model/1"), written by the Python trainer.</summary>
public sealed record ModelManifest
{
    public const string FileName = "manifest.json";
    public const string SupportedFormat = "personalization-model/1";

    [JsonPropertyName("format")] public required string Format { get; init; }
    [JsonPropertyName("name")] public required string Name { get; init; }
    [JsonPropertyName("version")] public required string Version { get; init; }
    [JsonPropertyName("architecture")] public required string Architecture { get; init; }
    [JsonPropertyName("hidden_size")] public required int HiddenSize { get; init; }
    [JsonPropertyName("item_count")] public required int ItemCount { get; init; }
    [JsonPropertyName("vocabulary")] public required string Vocabulary { get; init; }
    [JsonPropertyName("graphs")] public required ModelGraphs Graphs { get; init; }

    /// <summary>External ids of the most popular items, most popular first.</summary>
    [JsonPropertyName("popular_items")] public required IReadOnlyList<string> PopularItems { get; init; }

    /// <summary>Free-form: how the model was trained (data, epochs, seed, …).</summary>
    [JsonPropertyName("training")] public JsonElement? Training { get; init; }

    /// <summary>Free-form: offline evaluation results.</summary>
    [JsonPropertyName("metrics")] public JsonElement? Metrics { get; init; }

    [JsonPropertyName("created")] public string? Created { get; init; }

    private static readonly JsonSerializerOptions Options = new()
    {
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
        AllowTrailingCommas = false,
        ReadCommentHandling = JsonCommentHandling.Disallow,
    };

    /// <summary>Parses and checks the manifest's own fields (files are checked by <see cref="ModelFolder"/>).</summary>
    public static ModelManifest Parse(string json)
    {
        ModelManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<ModelManifest>(json, Options);
        }
        catch (JsonException e)
        {
            throw new InvalidModelException($"{FileName} is not a valid manifest: {e.Message}", e);
        }

        if (manifest is null) throw new InvalidModelException($"{FileName} is empty (null)");
        manifest.Check();
        return manifest;
    }

    public static ModelManifest Load(string path)
    {
        if (!File.Exists(path)) throw new InvalidModelException($"{FileName} is missing in {Path.GetDirectoryName(path)}");
        return Parse(File.ReadAllText(path));
    }

    private void Check()
    {
        if (Format != SupportedFormat)
            throw new InvalidModelException($"{FileName} has format \"{Format}\" but this engine reads \"{SupportedFormat}\"");
        RequireText(Name, "name");
        RequireText(Version, "version");
        RequireText(Vocabulary, "vocabulary");
        RequireText(Graphs.Step, "graphs.step");
        RequireText(Graphs.Score, "graphs.score");
        if (HiddenSize < 1) throw new InvalidModelException($"{FileName} has hidden_size {HiddenSize}; it must be at least 1");
        if (ItemCount < 2) throw new InvalidModelException($"{FileName} has item_count {ItemCount}; it must count the padding row and at least one item");
    }

    private static void RequireText(string value, string field)
    {
        if (string.IsNullOrWhiteSpace(value)) throw new InvalidModelException($"{FileName} field \"{field}\" is empty");
    }
}

/// <summary>File names of the two ONNX graphs, relative to the model folder.</summary>
public sealed record ModelGraphs
{
    [JsonPropertyName("step")] public required string Step { get; init; }
    [JsonPropertyName("score")] public required string Score { get; init; }
}
