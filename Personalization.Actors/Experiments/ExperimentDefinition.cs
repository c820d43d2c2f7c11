using System.Collections.Immutable;

namespace Personalization.Actors.Experiments;

/// <summary>
/// A/B: each user sees one variant's list. Interleaving: each user sees one list drafted from both variants' lists
/// (team draft), and a play credits the variant whose pick it was.
/// </summary>
public enum ExperimentKind
{
    AbTest = 0,
    Interleaving = 1,
}

/// <summary>Draft until started; running (within its start/end times) while users are assigned; stopped for good.</summary>
public enum ExperimentStatus
{
    Draft = 0,
    Running = 1,
    Stopped = 2,
}

/// <summary>
/// One arm of an experiment. <see cref="Model"/> is a model folder (resolved by every node as its model loader resolves
/// paths) or null for whatever model the node serves; <see cref="K"/> overrides the list length a request asks for
/// (null: the request's k).
/// </summary>
public sealed record VariantDefinition(string Name, double Weight, string? Model, int? K);

/// <summary>
/// An experiment as data: the same on every node (replicated, see docs/DESIGN.md "Experiments"). <see cref="Buckets"/>
/// is the assignment itself (bucket of a user → variant), stored rather than recomputed so a weight change moves only
/// the users it must (<see cref="BucketMap.Rebalance"/>). <see cref="Revision"/> grows with every change.
/// </summary>
public sealed record ExperimentDefinition(
    string Name,
    ExperimentKind Kind,
    string Salt,
    ImmutableArray<VariantDefinition> Variants,
    ExperimentStatus Status,
    DateTimeOffset? StartAt,
    DateTimeOffset? EndAt,
    BucketMap Buckets,
    long Revision,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    string? Description = null)
{
    /// <summary>Users are assigned now: started, and within its start and end times.</summary>
    public bool IsLive(DateTimeOffset now) =>
        Status == ExperimentStatus.Running && (StartAt is not { } start || now >= start) && (EndAt is not { } end || now < end);

    /// <summary>The variant of <paramref name="userId"/> (its stable bucket under the experiment's salt).</summary>
    public int VariantIndexOf(string userId) => Buckets.VariantAt(Model.VariantAssignment.BucketOf(userId, Salt));
}
