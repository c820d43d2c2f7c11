namespace Personalization.Actors.Model;

/// <summary>Which loaded model serves a given user (one model, or an A/B variant chosen by a stable hash of the id).</summary>
public interface IModelProvider
{
    IModelRuntime ForUser(string userId);
}
