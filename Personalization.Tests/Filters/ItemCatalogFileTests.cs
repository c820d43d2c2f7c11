using Personalization.Actors.Filters;
using Personalization.Node.Hosting;
using Personalization.Tests.Infrastructure;
using Xunit;

namespace Personalization.Tests.Filters;

/// <summary>The item catalog file: JSON lines of attributes, refused whole with the line and the reason when any line is wrong.</summary>
public sealed class ItemCatalogFileTests : IDisposable
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"pz-catalog-{Guid.NewGuid():N}.jsonl");

    public void Dispose() => File.Delete(_file);

    private string? Load(out ItemCatalog? catalog, params string[] lines)
    {
        File.WriteAllLines(_file, lines);
        return ItemCatalogFile.TryLoad(_file, out catalog);
    }

    [Fact]
    public void Each_line_gives_an_item_its_attributes_with_numbers_booleans_and_lists_as_values()
    {
        var problem = Load(out var catalog,
            """{"item":"42","genre":"rock","year":1994,"explicit":false,"tags":["live","90s",null],"label":null}""",
            "",
            """{"item":7,"genre":"jazz"}""");

        Assert.Null(problem);
        Assert.Equal(2, catalog!.Count);
        Assert.Equal(["genre", "year", "explicit", "tags", "label"], catalog.AttributeNames);
        Assert.Equal(["rock"], catalog.ValuesOf("42", "genre"));
        Assert.Equal(["1994"], catalog.ValuesOf("42", "year"));
        Assert.Equal(["false"], catalog.ValuesOf("42", "explicit"));
        Assert.Equal(["live", "90s"], catalog.ValuesOf("42", "tags"));
        Assert.Empty(catalog.ValuesOf("42", "label"));
        Assert.Equal(["jazz"], catalog.ValuesOf("7", "genre"));
        Assert.True(catalog.HasAnyValue("42", "tags", new HashSet<string> { "90s" }));
        Assert.False(catalog.HasAnyValue("nope", "genre", new HashSet<string> { "rock" }));
    }

    [Theory]
    [InlineData("""["42"]""", "line 2: expected a JSON object")]
    [InlineData("""{"genre":"rock"}""", "line 2: missing \"item\"")]
    [InlineData("""{"item":"1","item":"2"}""", "line 2: \"item\" appears more than once")]
    [InlineData("""{"item":"1","genre":{"main":"rock"}}""", "line 2: \"genre\" must be a string, a number, a boolean, null or an array of those")]
    [InlineData("""{"item":"1","genre":[["rock"]]}""", "line 2: \"genre\" must be a string, a number, a boolean, null or an array of those")]
    [InlineData("""{"item":"1","genre":"rock, pop"}""", "line 2: a value of \"genre\" contains ','")]
    [InlineData("""{"item":"1","a:b":"x"}""", "line 2: attribute name \"a:b\" contains ':' or ','")]
    [InlineData("""{"item":"1.5"}""", null)]
    [InlineData("""{"item":1.5}""", "line 2: \"item\" must be a string or a non-negative integer")]
    [InlineData("""{"item":"0","genre":"x"}""", "line 2: item \"0\" is already on line 1")]
    [InlineData("""{"item":"9",""", "line 2: malformed JSON")]
    public void A_bad_line_refuses_the_file_naming_the_line_and_what_is_wrong(string second, string? expected)
    {
        var problem = Load(out var catalog, """{"item":"0","genre":"jazz"}""", second);

        if (expected is null)
        {
            Assert.Null(problem);
            return;
        }

        Assert.Null(catalog);
        Assert.Contains(_file, problem);
        Assert.Contains(expected, problem);
    }

    [Fact]
    public void A_missing_or_empty_file_is_refused()
    {
        Assert.Equal($"item catalog {_file} does not exist", ItemCatalogFile.TryLoad(_file, out _));
        Assert.Equal($"item catalog {_file} has no items", Load(out _, "", "  "));
    }

    [Fact]
    public void A_node_refuses_to_start_on_a_bad_catalog_naming_the_setting_the_line_and_the_reason()
    {
        File.WriteAllLines(_file, ["""{"item":"1"}""", "not json"]);
        var options = TestNode.CreateOptions("127.0.0.1:1", "events-x", 1, "sqlite", "Data Source=:memory:");
        options.Filters.CatalogPath = _file;

        var refused = Assert.Throws<ArgumentException>(() => EngineHost.Build(options));

        Assert.StartsWith($"Filters:CatalogPath: item catalog {_file}, line 2: malformed JSON", refused.Message);
    }
}
