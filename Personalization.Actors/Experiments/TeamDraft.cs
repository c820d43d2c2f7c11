namespace Personalization.Actors.Experiments;

/// <summary>
/// Team-draft interleaving (Radlinski, Kurup and Joachims, CIKM 2008): two rankers pick in turn, the one with fewer
/// picks first and a coin flip when tied, each taking its highest item not yet taken. Every item of the answer is
/// credited to the team that picked it; a play of it is a vote for that team.
/// </summary>
public static class TeamDraft
{
    /// <summary>The interleaved list of <paramref name="k"/> items and, per position, the team (0 or 1) that picked it.</summary>
    /// <param name="coin">The source of coin flips; a user's own seeded generator keeps its lists reproducible.</param>
    public static (string[] Items, byte[] Teams) Interleave(IReadOnlyList<string> a, IReadOnlyList<string> b, int k, Random coin)
    {
        var items = new List<string>(k);
        var teams = new List<byte>(k);
        var taken = new HashSet<string>(StringComparer.Ordinal);
        int nextA = 0, nextB = 0, picksA = 0, picksB = 0;
        while (items.Count < k)
        {
            var aLeft = Skip(a, ref nextA, taken);
            var bLeft = Skip(b, ref nextB, taken);
            if (!aLeft && !bLeft) break;
            var team = !bLeft ? 0 : !aLeft ? 1 : picksA < picksB ? 0 : picksB < picksA ? 1 : coin.Next(2);
            var item = team == 0 ? a[nextA++] : b[nextB++];
            taken.Add(item);
            items.Add(item);
            teams.Add((byte)team);
            if (team == 0) picksA++;
            else picksB++;
        }

        return ([.. items], [.. teams]);
    }

    private static bool Skip(IReadOnlyList<string> list, ref int next, HashSet<string> taken)
    {
        while (next < list.Count && taken.Contains(list[next])) next++;
        return next < list.Count;
    }
}
