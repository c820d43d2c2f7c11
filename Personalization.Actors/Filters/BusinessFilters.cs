namespace Personalization.Actors.Filters;

/// <summary>
/// The node's business filters: the availability the topic reader keeps current and the item catalog (if one is
/// loaded). Makes the <see cref="ItemFilter"/> of each request, over the snapshot current at that moment.
/// </summary>
public sealed class BusinessFilters(ItemAvailability availability, ItemCatalog? catalog)
{
    public ItemAvailability Availability { get; } = availability;

    public ItemCatalog? Catalog { get; } = catalog;

    /// <summary>Null and the request's filter, or a sentence saying why its <c>exclude</c>/<c>include</c> terms are refused.</summary>
    public string? ForRequest(IReadOnlyList<string?>? exclude, IReadOnlyList<string?>? include, out ItemFilter filter)
    {
        if (RequestFilterSyntax.TryParse(exclude, include, Catalog, out var request) is { } problem)
        {
            filter = ItemFilter.None;
            return problem;
        }

        filter = ItemFilter.For(request, Availability.Current, Catalog);
        return null;
    }
}
