using Personalization.Actors.Events;

namespace Personalization.Actors.Filters;

/// <summary>
/// The grammar of <c>exclude=</c> and <c>include=</c> (README, "Business filters"). Each parameter may be repeated;
/// each value is a comma-separated list of terms; a term is
/// <list type="bullet">
/// <item><c>id</c> — an item id without ':' (<c>exclude=12,57</c>);</item>
/// <item><c>item:id</c> — an item id, any text after the first ':' (<c>exclude=item:spotify:track:6rqh</c>);</item>
/// <item><c>name:value</c> — an attribute of the loaded item catalog with one of its values (<c>include=genre:rock</c>).</item>
/// </list>
/// Ids and values follow the id rules of events (<see cref="EventIds"/>), and cannot hold ',' (it separates terms). An
/// empty parameter (<c>exclude=</c>) has no terms; an empty term (<c>a,,b</c>) is refused. At most
/// <see cref="MaxTerms"/> terms in all. Attribute terms need a catalog that has the attribute: without one, or for
/// an attribute it lacks, the request is refused with the reason, never silently unfiltered.
/// </summary>
public static class RequestFilterSyntax
{
    public const string ExcludeParameter = "exclude";
    public const string IncludeParameter = "include";
    public const int MaxTerms = 1_000;

    /// <summary>Null and the parsed filter, or a sentence saying what is wrong (for a 400).</summary>
    public static string? TryParse(IReadOnlyList<string?>? exclude, IReadOnlyList<string?>? include, ItemCatalog? catalog, out RequestFilter filter)
    {
        filter = RequestFilter.None;
        var count = 0;
        var excludes = new List<FilterTerm>();
        var includes = new List<FilterTerm>();
        if (Terms(ExcludeParameter, exclude, catalog, excludes, ref count) is { } badExclude) return badExclude;
        if (Terms(IncludeParameter, include, catalog, includes, ref count) is { } badInclude) return badInclude;
        if (count > 0) filter = new RequestFilter(excludes, includes);
        return null;
    }

    private static string? Terms(string parameter, IReadOnlyList<string?>? values, ItemCatalog? catalog, List<FilterTerm> terms, ref int count)
    {
        if (values is null) return null;
        foreach (var value in values)
        {
            if (string.IsNullOrEmpty(value)) continue; // "exclude=": no terms
            var index = 0;
            foreach (var range in value.AsSpan().Split(','))
            {
                index++;
                if (++count > MaxTerms) return $"at most {MaxTerms} {ExcludeParameter} and {IncludeParameter} terms in one request";
                var text = value.AsSpan()[range];
                if (Term(parameter, index, text, catalog, out var term) is { } problem) return problem;
                terms.Add(term);
            }
        }

        return null;
    }

    private static string? Term(string parameter, int index, ReadOnlySpan<char> text, ItemCatalog? catalog, out FilterTerm term)
    {
        term = default;
        var what = $"{parameter} term {index}";
        if (text.IsEmpty) return $"{what} is empty: terms are separated by single commas (ids and values cannot contain ',')";
        var colon = text.IndexOf(':');
        if (colon < 0)
        {
            if (EventIds.Problem(text, $"{what} (an item id)") is { } idProblem) return idProblem;
            term = new FilterTerm(FilterTerm.ItemAttribute, text.ToString());
            return null;
        }

        var name = text[..colon];
        var value = text[(colon + 1)..];
        if (name.IsEmpty) return $"{what} \"{ReasonText.Quote(text)}\" has no attribute name before ':'";
        if (value.IsEmpty) return $"{what} \"{ReasonText.Quote(text)}\" has no value after ':'";
        if (name.SequenceEqual(FilterTerm.ItemAttribute))
        {
            if (EventIds.Problem(value, $"{what} (an item id)") is { } idProblem) return idProblem;
            term = new FilterTerm(FilterTerm.ItemAttribute, value.ToString());
            return null;
        }

        if (catalog is null)
        {
            return $"{what} \"{ReasonText.Quote(text)}\" filters by the attribute \"{ReasonText.Quote(name)}\", but no item catalog is loaded " +
                   $"(Filters:CatalogPath); an item id that contains ':' is written item:<id>";
        }

        var attribute = catalog.AttributeNamed(name);
        if (attribute is null)
        {
            return $"{what}: the item catalog has no attribute \"{ReasonText.Quote(name)}\" (it has {catalog.DescribeAttributes()}); " +
                   "an item id that contains ':' is written item:<id>";
        }

        if (EventIds.Problem(value, $"{what} (a value of {attribute})") is { } valueProblem) return valueProblem;
        term = new FilterTerm(attribute, value.ToString());
        return null;
    }
}
