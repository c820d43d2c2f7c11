namespace Personalization.Actors.Experiments;

/// <summary>
/// A user's next play after an answer, against the list that answer served: the online counterparts of the offline
/// HR@K, NDCG@K and MRR (docs/DESIGN.md, "Evaluation protocol"): <see cref="Rank"/> is the played item's 1-based
/// position in the served list, 0 when it was not in it.
/// </summary>
public readonly record struct OnlineOutcome(int Rank)
{
    public bool Hit => Rank > 0;

    public double Ndcg => Rank > 0 ? 1.0 / Math.Log2(Rank + 1) : 0;

    public double ReciprocalRank => Rank > 0 ? 1.0 / Rank : 0;

    public static OnlineOutcome Of(IReadOnlyList<string> served, string played)
    {
        for (var i = 0; i < served.Count; i++)
            if (string.Equals(served[i], played, StringComparison.Ordinal)) return new OnlineOutcome(i + 1);
        return new OnlineOutcome(0);
    }
}
