using CsCheck;
using Personalization.Actors.Experiments;
using Xunit;

namespace Personalization.Tests.Experiments;

/// <summary>Team-draft interleaving of two ranked lists.</summary>
public sealed class TeamDraftTests
{
    private static readonly Gen<string[]> Ranking = Gen.Int[0, 30].Array[0, 25].Select(ids => ids.Distinct().Select(i => $"i{i}").ToArray());

    [Fact]
    public void Each_team_takes_its_own_best_items_not_yet_taken_and_the_teams_stay_balanced() =>
        Gen.Select(Ranking, Ranking, Gen.Int[1, 20], Gen.Int).Sample((a, b, k, seed) =>
        {
            var (items, teams) = TeamDraft.Interleave(a, b, k, new Random(seed));

            Assert.Equal(items.Length, teams.Length);
            Assert.Equal(items.Length, items.Distinct().Count());
            Assert.Equal(Math.Min(k, a.Union(b).Count()), items.Length);
            for (var i = 0; i < items.Length; i++)
            {
                var own = teams[i] == 0 ? a : b;
                var taken = items.Take(i).ToHashSet();
                Assert.Equal(own.First(x => !taken.Contains(x)), items[i]);
            }

            // While both lists have items left, neither team gets more than one pick ahead.
            var picksA = 0;
            var picksB = 0;
            for (var i = 0; i < items.Length; i++)
            {
                var taken = items.Take(i).ToHashSet();
                if (a.Any(x => !taken.Contains(x)) && b.Any(x => !taken.Contains(x))) Assert.True(Math.Abs(picksA - picksB) <= 1);
                if (teams[i] == 0) picksA++;
                else picksB++;
            }
        });

    [Fact]
    public void The_same_coin_gives_the_same_list()
    {
        string[] a = ["1", "2", "3", "4"];
        string[] b = ["3", "5", "1", "6"];
        Assert.Equal(TeamDraft.Interleave(a, b, 4, new Random(7)).Items, TeamDraft.Interleave(a, b, 4, new Random(7)).Items);
    }
}
