using Personalization.Actors.Sessions;

namespace Personalization.Actors.Filters;

/// <summary>What filtering a ranked list gave: the items kept (at most k, in ranking order), and whether a longer ranking is needed.</summary>
/// <param name="NeedsLongerList">Fewer than k items passed, and the list was cut at the length asked for: a longer
/// ranking may hold more. False when the list was shorter than asked (the catalog, minus the user's items, ran out).</param>
public readonly record struct FilterOutcome(IReadOnlyList<RecommendedItem> Kept, bool NeedsLongerList);

/// <summary>
/// The business filters of one answer, pure: the request's excluded ids and attribute terms (<see cref="RequestFilter"/>,
/// resolved against the item catalog) and the items withdrawn cluster-wide (<see cref="AvailabilitySnapshot"/>). Applied
/// once, after the ranking, to whichever list answers (the serving lane's, the user's actor's, a cold start's, a
/// degraded one): docs/DESIGN.md, "Business filters". An item is kept when it is not withdrawn, matches no exclude
/// term, and, for each attribute the include terms name, has one of the values named for it.
/// </summary>
public sealed class ItemFilter
{
    /// <summary>Keeps everything.</summary>
    public static ItemFilter None { get; } = new(AvailabilitySnapshot.Empty, null, [], [], null, []);

    private readonly AvailabilitySnapshot _availability;
    private readonly ItemCatalog? _catalog;
    private readonly HashSet<string> _excludedIds;
    private readonly (string Attribute, HashSet<string> Values)[] _excludedValues;
    private readonly HashSet<string>? _includedIds;
    private readonly (string Attribute, HashSet<string> Values)[] _includedValues;

    private ItemFilter(AvailabilitySnapshot availability, ItemCatalog? catalog, HashSet<string> excludedIds,
        (string, HashSet<string>)[] excludedValues, HashSet<string>? includedIds, (string, HashSet<string>)[] includedValues)
    {
        _availability = availability;
        _catalog = catalog;
        _excludedIds = excludedIds;
        _excludedValues = excludedValues;
        _includedIds = includedIds;
        _includedValues = includedValues;
        IsActive = !availability.IsEmpty || excludedIds.Count > 0 || excludedValues.Length > 0 || includedIds is not null || includedValues.Length > 0;
    }

    /// <summary>
    /// The filter of one request. <paramref name="catalog"/> answers the attribute terms: <see cref="RequestFilterSyntax"/>
    /// refuses them without one, so here a null catalog means the request has none.
    /// </summary>
    public static ItemFilter For(RequestFilter request, AvailabilitySnapshot availability, ItemCatalog? catalog)
    {
        if (request.IsEmpty && availability.IsEmpty) return None;
        var excludedIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var term in request.Excludes)
            if (term.IsItemId) excludedIds.Add(term.Value);
        HashSet<string>? includedIds = null;
        foreach (var term in request.Includes)
            if (term.IsItemId) (includedIds ??= new HashSet<string>(StringComparer.Ordinal)).Add(term.Value);
        return new ItemFilter(availability, catalog, excludedIds, ByAttribute(request.Excludes), includedIds, ByAttribute(request.Includes));
    }

    /// <summary>False when nothing can be removed (no request terms, nothing withdrawn): lists pass through as they are.</summary>
    public bool IsActive { get; }

    public bool Keeps(string itemId)
    {
        if (!IsActive) return true;
        if (_availability.IsWithdrawn(itemId) || _excludedIds.Contains(itemId)) return false;
        if (_includedIds is not null && !_includedIds.Contains(itemId)) return false;
        foreach (var (attribute, values) in _excludedValues)
            if (_catalog!.HasAnyValue(itemId, attribute, values)) return false;
        foreach (var (attribute, values) in _includedValues)
            if (!_catalog!.HasAnyValue(itemId, attribute, values)) return false;
        return true;
    }

    /// <summary>
    /// The first <paramref name="k"/> items of <paramref name="ranked"/> that are kept, in order. <paramref name="askedFor"/>
    /// is the length the list was asked at: a list that long may have been cut, so a shortfall asks for a longer one.
    /// </summary>
    public FilterOutcome Apply(IReadOnlyList<RecommendedItem> ranked, int k, int askedFor)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        IReadOnlyList<RecommendedItem> kept;
        if (!IsActive) kept = ranked.Count <= k ? ranked : ranked.Take(k).ToArray();
        else
        {
            var passing = new List<RecommendedItem>(Math.Min(k, ranked.Count));
            for (var i = 0; i < ranked.Count && passing.Count < k; i++)
                if (Keeps(ranked[i].ItemId)) passing.Add(ranked[i]);
            kept = passing;
        }

        return new FilterOutcome(kept, kept.Count < k && ranked.Count >= askedFor);
    }

    private static (string, HashSet<string>)[] ByAttribute(IReadOnlyList<FilterTerm> terms) =>
        terms.Where(t => !t.IsItemId)
            .GroupBy(t => t.Attribute, StringComparer.Ordinal)
            .Select(g => (g.Key, g.Select(t => t.Value).ToHashSet(StringComparer.Ordinal)))
            .ToArray();
}
