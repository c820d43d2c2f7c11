using Personalization.Actors.Sessions;

namespace Personalization.Actors.Experiments;

/// <summary>
/// An answer that a node served to a user in an experiment, told to the user's actor (fire and forget) so that the
/// user's next play is scored against it (<see cref="ImpressionLedger"/>). <see cref="Variants"/> is the A/B variant
/// alone, or for interleaving both variants, <see cref="Teams"/> saying per position which of them (0 or 1) picked the item.
/// </summary>
public sealed record ImpressionServed(
    string UserId, string RecommendationId, string Experiment, string[] Variants, string[] Items, byte[] Teams, long ServedAtMs) : IUserMessage
{
    /// <summary>The variant an impression's counts go to: the A/B variant, or an interleaving experiment's first.</summary>
    public string Variant => Variants.Length > 0 ? Variants[0] : string.Empty;
}

public enum ExperimentSignalKind
{
    /// <summary>An impression reached the user's session: <see cref="ExperimentSignal.Served"/> items, <see cref="ExperimentSignal.Novel"/> of them not in the session's items.</summary>
    Served = 0,

    /// <summary>The user's next play after an impression: <see cref="ExperimentSignal.Rank"/> in the served list (0 = not in it), and the team credited (interleaving).</summary>
    Outcome = 1,

    /// <summary>A play that carried the recommendation id of one of the user's recent impressions.</summary>
    AttributedPlay = 2,
}

/// <summary>What a session observed for an experiment; the actor hands it to the node's tally.</summary>
/// <param name="Credited">Interleaving: the variant whose pick was played, null when the play was none of them.</param>
public readonly record struct ExperimentSignal(ExperimentSignalKind Kind, string Experiment, string Variant, int Rank, string? Credited, int Served, int Novel);
