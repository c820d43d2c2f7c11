using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Personalization.Actors.Kafka.Broker;
using Personalization.Actors.Model;
using Personalization.Actors.Serving;
using Personalization.Actors.Sessions;
using Personalization.Node.Hosting;
using Personalization.Node.Http;
using Personalization.Tests.Engine;
using Personalization.Tests.Infrastructure;
using Xunit;

namespace Personalization.Tests.Http;

/// <summary>
/// Two nodes on one broker: <see cref="Lane"/> answers its live users from their serving views (the serving lane);
/// <see cref="Actors"/> has a serving lane that never answers, so every query goes to the user's actor, and an item
/// catalog (genre g0, g1 or g2 by the item's row in the model's vocabulary).
/// </summary>
public sealed class FilteredAnswerNodes : IAsyncLifetime
{
    public const string User = "filtered-user";

    private readonly string _catalog = Path.Combine(Path.GetTempPath(), $"pz-catalog-{Guid.NewGuid():N}.jsonl");

    public EmbeddedKafkaBroker Broker { get; private set; } = null!;

    public TestNode Lane { get; private set; } = null!;

    public TestNode Actors { get; private set; } = null!;

    /// <summary>The genre the catalog gives an item of the model.</summary>
    public static string GenreOf(string item) => $"g{(ListeningUsers.ModelItems.ToList().IndexOf(item) + 1) % 3}";

    public async Task InitializeAsync()
    {
        await File.WriteAllLinesAsync(_catalog, ListeningUsers.ModelItems.Select((id, i) => $$"""{"item":"{{id}}","genre":"g{{(i + 1) % 3}}"}"""));
        Broker = EmbeddedKafkaBroker.Start(brokers: 1);
        Lane = await TestNode.StartAsync(Options());
        var actors = Options();
        actors.Filters.CatalogPath = _catalog;
        Actors = await TestNode.StartAsync(actors, b =>
            b.Services.AddSingleton(sp => new ServingLane(new ServingBoard(), sp.GetRequiredService<IModelProvider>())));
        var history = ListeningUsers.ModelItems.Take(5).ToArray();
        await Task.WhenAll(ListeningUsers.GiveHistoryAsync(Lane.Http, User, history), ListeningUsers.GiveHistoryAsync(Actors.Http, User, history));
    }

    private NodeOptions Options() =>
        TestNode.CreateOptions(Broker.BootstrapServers, KafkaTestKit.NewTopic(Broker, 2), 2, "sqlite", EngineTestContext.SqliteConnectionString());

    public async Task DisposeAsync()
    {
        await Actors.DisposeAsync();
        await Lane.DisposeAsync();
        Broker.Dispose();
        File.Delete(_catalog);
    }
}

/// <summary>exclude= and include= on both answer paths, and the 400s of bad terms.</summary>
public sealed class FilteredAnswerTests(FilteredAnswerNodes nodes) : IClassFixture<FilteredAnswerNodes>
{
    public enum AnswerPath
    {
        ServingLane,
        UsersActor,
    }

    private TestNode NodeFor(AnswerPath path) => path == AnswerPath.ServingLane ? nodes.Lane : nodes.Actors;

    private static string Exclude(IEnumerable<string> ids) => "&exclude=" + Uri.EscapeDataString(string.Join(',', ids));

    [Fact]
    public void The_lane_node_answers_its_user_from_the_serving_view_and_the_other_does_not()
    {
        Assert.True(nodes.Lane.App.Services.GetRequiredService<ServingLane>().Board.TryGet(FilteredAnswerNodes.User, out _));
        Assert.False(nodes.Actors.App.Services.GetRequiredService<ServingLane>().Board.TryGet(FilteredAnswerNodes.User, out _));
    }

    [Theory]
    [InlineData(AnswerPath.ServingLane)]
    [InlineData(AnswerPath.UsersActor)]
    public async Task Excluded_items_leave_the_answer_which_still_has_k_items_in_ranking_order(AnswerPath path)
    {
        var http = NodeFor(path).Http;
        var ranking = await ListeningUsers.RecommendAsync(http, FilteredAnswerNodes.User, 100);

        var answer = await ListeningUsers.RecommendAsync(http, FilteredAnswerNodes.User, 10, Exclude([ranking[0], ranking[2], ranking[5]]));

        Assert.Equal(ranking.Except([ranking[0], ranking[2], ranking[5]]).Take(10), answer);
    }

    [Theory]
    [InlineData(AnswerPath.ServingLane)]
    [InlineData(AnswerPath.UsersActor)]
    public async Task Excluding_more_than_the_cached_ranking_holds_asks_the_ranking_for_more(AnswerPath path)
    {
        var http = NodeFor(path).Http;
        var ranking = await ListeningUsers.RecommendAsync(http, FilteredAnswerNodes.User, 100);

        // The first 60 are gone: the 50 items cached are not enough, a ranking of 100 is.
        var answer = await ListeningUsers.RecommendAsync(http, FilteredAnswerNodes.User, 10, Exclude(ranking.Take(60)));

        Assert.Equal(ranking.Skip(60).Take(10), answer);
    }

    [Fact]
    public async Task The_parameter_may_be_repeated()
    {
        var ranking = await ListeningUsers.RecommendAsync(nodes.Lane.Http, FilteredAnswerNodes.User, 20);

        var answer = await ListeningUsers.RecommendAsync(nodes.Lane.Http, FilteredAnswerNodes.User, 5, Exclude([ranking[0]]) + Exclude([ranking[1], ranking[2]]));

        Assert.Equal(ranking.Skip(3).Take(5), answer);
    }

    [Fact]
    public async Task A_cold_start_answer_is_filtered_too()
    {
        var popular = await ListeningUsers.RecommendAsync(nodes.Actors.Http, "never-seen-user", 20);

        var answer = await ListeningUsers.RecommendAsync(nodes.Actors.Http, "never-seen-user", 10, Exclude(popular.Take(2)));

        Assert.Equal(popular.Skip(2).Take(10), answer);
    }

    [Fact]
    public async Task Include_by_an_attribute_of_the_catalog_keeps_only_items_that_have_it()
    {
        var answer = await ListeningUsers.RecommendAsync(nodes.Actors.Http, FilteredAnswerNodes.User, 10, "&include=genre:g1");

        Assert.Equal(10, answer.Length);
        Assert.All(answer, item => Assert.Equal("g1", FilteredAnswerNodes.GenreOf(item)));
    }

    [Fact]
    public async Task Exclude_by_an_attribute_of_the_catalog_leaves_out_every_item_that_has_it()
    {
        var ranking = await ListeningUsers.RecommendAsync(nodes.Actors.Http, FilteredAnswerNodes.User, 100);

        var answer = await ListeningUsers.RecommendAsync(nodes.Actors.Http, FilteredAnswerNodes.User, 10, "&exclude=genre:g0,genre:g2");

        Assert.Equal(ranking.Where(i => FilteredAnswerNodes.GenreOf(i) == "g1").Take(10), answer);
    }

    [Theory]
    [InlineData("&exclude=a,,b", "exclude term 2 is empty")]
    [InlineData("&exclude=a%01b", "exclude term 1 (an item id) contains a control character")]
    [InlineData("&include=item:", "include term 1 \"item:\" has no value after ':'")]
    [InlineData("&include=genre:g1", "filters by the attribute \"genre\", but no item catalog is loaded")]
    public async Task A_bad_exclude_or_include_is_a_400_saying_what_is_wrong(string query, string reason)
    {
        var response = await nodes.Lane.Http.GetAsync($"/users/{FilteredAnswerNodes.User}/recommendations?k=10{query}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(reason, await Problems.DetailAsync(response));
    }

    [Fact]
    public async Task More_than_a_thousand_terms_are_a_400()
    {
        var response = await nodes.Lane.Http.GetAsync($"/users/{FilteredAnswerNodes.User}/recommendations?k=10{Exclude(Enumerable.Range(0, 1001).Select(i => $"{i}"))}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("at most 1000 exclude and include terms in one request", await Problems.DetailAsync(response));
    }

    [Fact]
    public async Task An_attribute_the_catalog_does_not_have_is_a_400_naming_the_ones_it_has()
    {
        var response = await nodes.Actors.Http.GetAsync($"/users/{FilteredAnswerNodes.User}/recommendations?include=mood:calm");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("the item catalog has no attribute \"mood\" (it has \"genre\")", await Problems.DetailAsync(response));
    }
}

/// <summary>The degraded answer (the user's actor does not answer in time) obeys the request's filter as live answers do.</summary>
public sealed class FilteredDegradedAnswerTests(UnreachableUsersNode fixture) : IClassFixture<UnreachableUsersNode>
{
    [Fact]
    public async Task Popular_items_given_instead_leave_out_the_excluded_ones()
    {
        var popular = await ListeningUsers.RecommendAsync(fixture.Node.Http, "never-served", 10);

        var answer = await fixture.Node.Http.GetFromJsonAsync(
            $"/users/never-served/recommendations?k=5&exclude={popular[0]},{popular[3]}", ApiJsonContext.Default.RecommendationsDto);

        Assert.NotNull(answer!.Degraded);
        Assert.Equal(popular.Except([popular[0], popular[3]]).Take(5), answer.Items.Select(i => i.ItemId));
    }

    [Fact]
    public async Task The_last_list_given_instead_leaves_out_the_excluded_ones()
    {
        fixture.Node.App.Services.GetRequiredService<LastAnswers>().Remember(
            new Recommendations("served-once", [new("a", 3f), new("b", 2f), new("c", 1f)], "m", "v1", 4, false), Environment.TickCount64);

        var answer = await fixture.Node.Http.GetFromJsonAsync("/users/served-once/recommendations?k=3&exclude=b", ApiJsonContext.Default.RecommendationsDto);

        Assert.Contains("last list served", answer!.Degraded!.Reason);
        Assert.Equal(["a", "c"], answer.Items.Select(i => i.ItemId));
    }
}
