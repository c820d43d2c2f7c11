using System.Text.Json.Serialization;

namespace Personalization.Node.Http.Admin;

public sealed record VariantRequest(string? Name, double? Weight, string? Model, int? K);

public sealed record CreateExperimentRequest(
    string? Name, string? Kind, IReadOnlyList<VariantRequest>? Variants, string? Salt, DateTimeOffset? StartAt, DateTimeOffset? EndAt, string? Description);

public sealed record SetExperimentRequest(IReadOnlyDictionary<string, double>? Weights, DateTimeOffset? EndAt);

public sealed record ExperimentVariantDto(string Name, double Weight, double Share, string? Model, int? K);

/// <summary>An experiment, and whether this node serves its variants (<see cref="ServingHere"/>, or why not in <see cref="NodeError"/>).</summary>
public sealed record ExperimentDto(
    string Name, string Kind, string Status, bool Live, string Salt, string? Description, DateTimeOffset? StartAt, DateTimeOffset? EndAt,
    long Revision, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, IReadOnlyList<ExperimentVariantDto> Variants,
    bool ServingHere, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? NodeError);

public sealed record ExperimentListDto(IReadOnlyList<ExperimentDto> Experiments);

public sealed record IntervalDto(double Low, double High);

public sealed record VariantReportDto(
    string Name, string? Model, double Share, long Impressions, long Outcomes, long Hits, double HitRate, IntervalDto HitRateCi,
    double Ndcg, IntervalDto? NdcgCi, double Mrr, IntervalDto? MrrCi, long AttributedPlays, double PlayThroughRate, double Novelty,
    long DistinctItemsServed, double Coverage, double MeanLatencyMs, long InterleavingWins);

public sealed record ComparisonDto(string Variant, string Control, double HitRateDifference, double HitRateP, double NdcgDifference, double NdcgP, double MrrP, bool Significant);

public sealed record InterleavingDto(string A, string B, long WinsA, long WinsB, long Undecided, double P, string? Better);

/// <summary>An experiment's online results, summed over the cluster; <see cref="Tests"/> names the statistics used.</summary>
public sealed record ExperimentReportDto(
    ExperimentDto Experiment, IReadOnlyList<VariantReportDto> Variants, IReadOnlyList<ComparisonDto> Comparisons,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] InterleavingDto? Interleaving,
    IReadOnlyList<string> Warnings, string Tests, int CatalogSize, bool ReadFromMajority);

[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(CreateExperimentRequest))]
[JsonSerializable(typeof(SetExperimentRequest))]
[JsonSerializable(typeof(ExperimentDto))]
[JsonSerializable(typeof(ExperimentListDto))]
[JsonSerializable(typeof(ExperimentReportDto))]
public sealed partial class ExperimentJsonContext : JsonSerializerContext;
