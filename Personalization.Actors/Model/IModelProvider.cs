namespace Personalization.Actors.Model;

/// <summary>Which loaded model serves a given user (one model, or an A/B variant chosen by a stable hash of the id).</summary>
public interface IModelProvider
{
    IModelRuntime ForUser(string userId);

    /// <summary>
    /// The models whose state the user's session keeps beside the one that serves it (docs/DESIGN.md, "The user
    /// session": companion states, for interleaving and shadow scoring): empty for almost every user. Asked once per
    /// applied batch, so it must be cheap and must not allocate for a user without companions. A provider that
    /// does not override it has no companions.
    /// </summary>
    IReadOnlyList<IModelRuntime> CompanionsFor(string userId) => Array.Empty<IModelRuntime>();
}
