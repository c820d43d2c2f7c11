using System.Collections.Frozen;
using CsCheck;
using Personalization.Actors.Filters;
using Personalization.Actors.Sessions;
using Personalization.Tests.Infrastructure;
using Xunit;

namespace Personalization.Tests.Filters;

/// <summary>
/// The business filter over generated rankings, withdrawals, excludes and attribute terms, against a plain statement
/// of the rules written here (what an item must satisfy to be kept).
/// </summary>
public sealed class ItemFilterTests : IDisposable
{
    private const ulong Seed = 20_261_203;
    private const int Universe = 40;
    private static readonly string[] Genres = ["rock", "jazz", "pop"];
    private static readonly string[] Moods = ["calm", "loud"];

    // Items i0..i29 are in the catalog: a genre each, zero to two moods; i30..i39 have no attributes at all.
    private static readonly Dictionary<string, Dictionary<string, string[]>> Attributes = Enumerable.Range(0, 30).ToDictionary(
        i => $"i{i}",
        i => new Dictionary<string, string[]> { ["genre"] = [Genres[i % 3]], ["mood"] = Moods.Where((_, m) => (i >> m & 1) == 1).ToArray() });

    private readonly string _catalogFile = Path.Combine(Path.GetTempPath(), $"pz-catalog-{Guid.NewGuid():N}.jsonl");
    private readonly ItemCatalog _catalog;

    public ItemFilterTests()
    {
        File.WriteAllLines(_catalogFile, Attributes.Select(a =>
            System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object> { ["item"] = a.Key, ["genre"] = a.Value["genre"][0], ["mood"] = a.Value["mood"] })));
        Assert.Null(ItemCatalogFile.TryLoad(_catalogFile, out var catalog));
        _catalog = catalog!;
    }

    public void Dispose() => File.Delete(_catalogFile);

    private sealed record Case(string[] Ranked, int AskedFor, int K, HashSet<string> Withdrawn, FilterTerm[] Excludes, FilterTerm[] Includes)
    {
        public override string ToString() =>
            $"ranked [{string.Join(",", Ranked)}] asked {AskedFor} k {K} withdrawn [{string.Join(",", Withdrawn)}] " +
            $"exclude [{string.Join(",", Excludes)}] include [{string.Join(",", Includes)}]";
    }

    private static readonly Gen<string> AnyItem = Gen.Int[0, Universe - 1].Select(i => $"i{i}");

    private static readonly Gen<FilterTerm> AnyTerm = Gen.OneOf(
        AnyItem.Select(id => new FilterTerm(FilterTerm.ItemAttribute, id)),
        Gen.Int[0, Genres.Length - 1].Select(i => Genres[i]).Select(g => new FilterTerm("genre", g)),
        Gen.Int[0, Moods.Length - 1].Select(i => Moods[i]).Select(m => new FilterTerm("mood", m)));

    private static readonly Gen<Case> Cases =
        from ranked in AnyItem.Array[0, Universe].Select(a => a.Distinct().ToArray())
        from slack in Gen.Int[0, 3]
        from k in Gen.Int[1, 30]
        from withdrawn in AnyItem.Array[0, 12]
        from excludes in AnyTerm.Array[0, 6]
        from includes in Gen.Frequency((3, Gen.Const(Array.Empty<FilterTerm>())), (2, AnyTerm.Array[1, 4]))
        select new Case(ranked, ranked.Length + (slack == 3 ? 0 : slack), k, withdrawn.ToHashSet(), excludes, includes);

    private ItemFilter FilterOf(Case c) => ItemFilter.For(
        new RequestFilter(c.Excludes, c.Includes),
        new AvailabilitySnapshot(c.Withdrawn.ToFrozenDictionary(id => id, id => new WithdrawnItem(id, "licensing", null, DateTimeOffset.UnixEpoch, 0, 0)),
            FrozenDictionary<int, long>.Empty),
        _catalog);

    private static IReadOnlyList<RecommendedItem> Ranking(Case c) => c.Ranked.Select((id, i) => new RecommendedItem(id, 100f - i)).ToArray();

    private static string[] ValuesOf(string item, string attribute) =>
        Attributes.TryGetValue(item, out var a) && a.TryGetValue(attribute, out var v) ? v : [];

    /// <summary>The rules as the README states them, item by item.</summary>
    private static bool ShouldKeep(Case c, string item)
    {
        if (c.Withdrawn.Contains(item)) return false;
        foreach (var term in c.Excludes)
            if (term.IsItemId ? term.Value == item : ValuesOf(item, term.Attribute).Contains(term.Value)) return false;
        return c.Includes.GroupBy(t => t.Attribute).All(group => group.Key == FilterTerm.ItemAttribute
            ? group.Any(t => t.Value == item)
            : group.Any(t => ValuesOf(item, group.Key).Contains(t.Value)));
    }

    [Fact]
    public void Never_returns_a_withdrawn_or_excluded_item_nor_one_the_include_terms_leave_out()
    {
        Fuzz.Run(Cases, c =>
        {
            var kept = FilterOf(c).Apply(Ranking(c), c.K, c.AskedFor).Kept;
            Assert.All(kept, item => Assert.True(ShouldKeep(c, item.ItemId), $"{item.ItemId} should have been filtered out"));
            Assert.DoesNotContain(kept, item => c.Withdrawn.Contains(item.ItemId));
        }, 20_000, Seed, c => c.ToString());
    }

    [Fact]
    public void Keeps_the_ranking_order_and_gives_the_first_k_items_that_pass()
    {
        Fuzz.Run(Cases, c =>
        {
            var ranked = Ranking(c);
            var kept = FilterOf(c).Apply(ranked, c.K, c.AskedFor).Kept;
            Assert.Equal(ranked.Where(i => ShouldKeep(c, i.ItemId)).Take(c.K), kept);
        }, 20_000, Seed + 1, c => c.ToString());
    }

    [Fact]
    public void Asks_for_a_longer_list_exactly_when_fewer_than_k_passed_and_the_list_was_cut_at_the_length_asked()
    {
        Fuzz.Run(Cases, c =>
        {
            var outcome = FilterOf(c).Apply(Ranking(c), c.K, c.AskedFor);
            var passing = c.Ranked.Count(id => ShouldKeep(c, id));
            Assert.Equal(passing < c.K && c.Ranked.Length == c.AskedFor, outcome.NeedsLongerList);
        }, 20_000, Seed + 2, c => c.ToString());
    }

    [Fact]
    public void With_nothing_withdrawn_and_no_terms_a_list_passes_through_as_it_is()
    {
        var filter = ItemFilter.For(RequestFilter.None, AvailabilitySnapshot.Empty, _catalog);
        var ranked = new[] { new RecommendedItem("i1", 3), new RecommendedItem("i2", 2), new RecommendedItem("i3", 1) };

        var outcome = filter.Apply(ranked, 2, 3);

        Assert.False(filter.IsActive);
        Assert.Equal(ranked.Take(2), outcome.Kept);
        Assert.False(outcome.NeedsLongerList);
    }

    [Fact]
    public void Include_terms_of_one_attribute_are_alternatives_and_of_different_attributes_must_all_hold()
    {
        // i1: jazz, calm; i4: jazz, no mood; i5: pop, calm; i7: jazz, calm and loud.
        var filter = ItemFilter.For(
            new RequestFilter([], [new FilterTerm("genre", "jazz"), new FilterTerm("genre", "pop"), new FilterTerm("mood", "calm")]),
            AvailabilitySnapshot.Empty, _catalog);

        Assert.Equal(["i1", "i5", "i7"], new[] { "i1", "i4", "i5", "i7", "i30" }.Where(filter.Keeps));
    }
}
