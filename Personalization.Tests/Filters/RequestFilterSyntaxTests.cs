using Personalization.Actors.Filters;
using Xunit;

namespace Personalization.Tests.Filters;

/// <summary>The grammar of exclude= and include= (README, "Business filters"), example by example.</summary>
public sealed class RequestFilterSyntaxTests : IDisposable
{
    private readonly string _catalogFile = Path.Combine(Path.GetTempPath(), $"pz-catalog-{Guid.NewGuid():N}.jsonl");
    private readonly ItemCatalog _catalog;

    public RequestFilterSyntaxTests()
    {
        File.WriteAllLines(_catalogFile, ["""{"item":"1","genre":"rock","label":"sub pop"}""", """{"item":"2","genre":["jazz","rock"]}"""]);
        Assert.Null(ItemCatalogFile.TryLoad(_catalogFile, out var catalog));
        _catalog = catalog!;
    }

    public void Dispose() => File.Delete(_catalogFile);

    private static FilterTerm Id(string id) => new(FilterTerm.ItemAttribute, id);

    private string? Parse(string?[]? exclude, string?[]? include, out RequestFilter filter, bool withCatalog = true) =>
        RequestFilterSyntax.TryParse(exclude, include, withCatalog ? _catalog : null, out filter);

    [Fact]
    public void Excluded_ids_are_comma_separated_and_the_parameter_may_be_repeated()
    {
        Assert.Null(Parse(["12,57", "9"], null, out var filter));

        Assert.Equal([Id("12"), Id("57"), Id("9")], filter.Excludes);
        Assert.Empty(filter.Includes);
    }

    [Fact]
    public void An_id_with_a_colon_is_written_after_item_colon()
    {
        Assert.Null(Parse(["item:spotify:track:6rqh"], null, out var filter, withCatalog: false));

        Assert.Equal([Id("spotify:track:6rqh")], filter.Excludes);
    }

    [Fact]
    public void Attribute_terms_name_an_attribute_of_the_catalog_and_one_of_its_values()
    {
        Assert.Null(Parse(["genre:jazz"], ["genre:rock,label:sub pop"], out var filter));

        Assert.Equal([new FilterTerm("genre", "jazz")], filter.Excludes);
        Assert.Equal([new FilterTerm("genre", "rock"), new FilterTerm("label", "sub pop")], filter.Includes);
    }

    [Fact]
    public void An_empty_parameter_has_no_terms()
    {
        Assert.Null(Parse([""], [""], out var filter));

        Assert.True(filter.IsEmpty);
    }

    [Theory]
    [InlineData("a,,b", "exclude term 2 is empty")]
    [InlineData("a,", "exclude term 2 is empty")]
    [InlineData(":rock", "has no attribute name before ':'")]
    [InlineData("genre:", "has no value after ':'")]
    [InlineData("item:", "has no value after ':'")]
    [InlineData("a\u0001b", "exclude term 1 (an item id) contains a control character")]
    [InlineData(" ", "exclude term 1 (an item id) is empty")]
    [InlineData("genr:rock", "the item catalog has no attribute \"genr\" (it has \"genre\" and \"label\")")]
    public void A_bad_term_is_refused_with_a_sentence_that_names_it(string exclude, string expected)
    {
        Assert.Contains(expected, Parse([exclude], null, out _));
    }

    [Fact]
    public void An_id_longer_than_event_ids_may_be_is_refused()
    {
        Assert.Contains("longer than 256 characters", Parse([new string('x', 257)], null, out _));
    }

    [Fact]
    public void An_attribute_term_without_a_catalog_is_refused_saying_none_is_loaded()
    {
        var problem = Parse(null, ["genre:rock"], out _, withCatalog: false);

        Assert.Contains("include term 1 \"genre:rock\" filters by the attribute \"genre\", but no item catalog is loaded", problem);
        Assert.Contains("item:<id>", problem);
    }

    [Fact]
    public void More_than_a_thousand_terms_are_refused()
    {
        var ids = string.Join(',', Enumerable.Range(0, RequestFilterSyntax.MaxTerms).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)));

        Assert.Null(Parse([ids], null, out var filter));
        Assert.Equal(RequestFilterSyntax.MaxTerms, filter.Excludes.Count);
        Assert.Equal("at most 1000 exclude and include terms in one request", Parse([ids], ["x"], out _));
    }
}
