using Personalization.Actors.Sessions;

namespace Personalization.Node.Http;

/// <summary>
/// The last recommendations this node served per user, bounded: a fixed table of slots indexed by the user id's hash,
/// the newest answer winning a slot (a user whose slot was taken falls back to the popular items). It serves the
/// degraded answer while a user's actor cannot answer in time (its shard is moving after a node died, or the node is
/// overloaded) — an old list that says how old it is beats an error. Lock-free: a slot is one reference.
/// </summary>
public sealed class LastAnswers
{
    private readonly Entry?[] _slots;

    public LastAnswers(int capacity = 1 << 16)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _slots = new Entry?[(int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)capacity)];
    }

    public void Remember(Recommendations answer, long servedAtMs) =>
        Volatile.Write(ref _slots[SlotOf(answer.UserId)], new Entry(answer, servedAtMs));

    public bool TryGet(string userId, out Recommendations? answer, out long servedAtMs)
    {
        var entry = Volatile.Read(ref _slots[SlotOf(userId)]);
        if (entry is not null && entry.Answer.UserId == userId)
        {
            (answer, servedAtMs) = (entry.Answer, entry.ServedAtMs);
            return true;
        }

        (answer, servedAtMs) = (null, 0);
        return false;
    }

    private int SlotOf(string userId) => StringComparer.Ordinal.GetHashCode(userId) & (_slots.Length - 1);

    private sealed record Entry(Recommendations Answer, long ServedAtMs);
}
