using Personalization.Actors.Model;
using Personalization.Actors.Serving;
using Personalization.Tests.Sessions;
using Xunit;

namespace Personalization.Tests.Serving;

public sealed class ServingLaneTests
{
    private sealed class Models(IModelRuntime model) : IModelProvider
    {
        public IModelRuntime ForUser(string userId) => model;
    }

    private static ServingView View(string user, FakeModel model, float[] state, params string[] recent) =>
        new(user, state, recent, model.Name, model.Version, modelSteps: recent.Length, eventCount: recent.Length);

    [Fact]
    public async Task A_user_without_a_view_on_this_node_is_left_to_its_actor()
    {
        var lane = new ServingLane(new ServingBoard(), new Models(new FakeModel("v1")));

        Assert.Null(await lane.TryAnswerAsync("nobody", 5));
    }

    [Fact]
    public async Task A_view_of_another_model_version_than_the_one_serving_the_user_is_left_to_its_actor()
    {
        var board = new ServingBoard();
        board.Publish(View("u1", new FakeModel("v1"), [1f, 0f], "i1"));
        var lane = new ServingLane(board, new Models(new FakeModel("v2")));

        Assert.Null(await lane.TryAnswerAsync("u1", 5));
    }

    [Fact]
    public async Task The_answer_is_the_models_ranking_of_the_views_state_without_the_users_recent_items()
    {
        var model = new FakeModel("v1");
        var board = new ServingBoard();
        var state = new[] { 0.5f, -1f };
        board.Publish(View("u1", model, state, "i1", "i3"));
        var lane = new ServingLane(board, new Models(model));

        var answer = await lane.TryAnswerAsync("u1", 5);

        var expected = await model.TopKAsync(state, 5, [model.Vocabulary.IndexOf("i1"), model.Vocabulary.IndexOf("i3")]);
        Assert.NotNull(answer);
        Assert.Equal(expected.Select(i => model.Vocabulary.IdAt(i.Index)), answer!.Items.Select(i => i.ItemId));
        Assert.DoesNotContain(answer.Items, i => i.ItemId is "i1" or "i3");
        Assert.Equal(2, answer.EventsReflected);
        Assert.False(answer.ColdStart);
    }

    [Fact]
    public async Task A_ranked_list_is_kept_with_its_view_and_a_new_view_is_ranked_anew()
    {
        var model = new FakeModel("v1");
        var board = new ServingBoard();
        var lane = new ServingLane(board, new Models(model), cachedRankingSize: 10);
        var first = View("u1", model, [1f, 0f], "i1");
        board.Publish(first);

        await lane.TryAnswerAsync("u1", 3);
        var cached = first.Ranking;
        await lane.TryAnswerAsync("u1", 5);
        Assert.NotNull(cached);
        Assert.Same(cached, first.Ranking); // k within the cached size: no new ranking

        var second = View("u1", model, [0f, 1f], "i1", "i2");
        board.Publish(second);
        var answer = await lane.TryAnswerAsync("u1", 3);
        Assert.NotNull(second.Ranking);
        Assert.Equal(2, answer!.EventsReflected);
    }

    private sealed class WithCompanions(IModelRuntime model, params IModelRuntime[] companions) : IModelProvider
    {
        public IModelRuntime[] Companions { get; set; } = companions;

        public IModelRuntime ForUser(string userId) => model;

        public IReadOnlyList<IModelRuntime> CompanionsFor(string userId) => Companions;
    }

    [Fact]
    public async Task A_companion_answer_is_its_models_ranking_of_its_state_in_the_view_with_a_ranking_cached_per_companion()
    {
        var serving = new FakeModel("v1");
        var companion = new OrderedModel("c1");
        var companionState = OrderedModel.Stepped(4, 2);
        var board = new ServingBoard();
        var view = new ServingView("u1", [1f, 0f], ["i1", "i3", "i2"], serving.Name, serving.Version, 2, 3,
            [new CompanionView(companion.Name, companion.Version, companionState, modelSteps: 2, eventCount: 2)]);
        board.Publish(view);
        var lane = new ServingLane(board, new WithCompanions(serving, companion), cachedRankingSize: 10);

        var answer = await lane.TryAnswerAsync("u1", 5, ModelKey.Of(companion));

        var expected = await companion.TopKAsync(companionState, 5, [1, 3, 2]);
        Assert.NotNull(answer);
        Assert.Equal(expected.Select(i => (companion.Vocabulary.IdAt(i.Index), i.Score)), answer!.Items.Select(i => (i.ItemId, i.Score)));
        Assert.Equal((companion.Name, companion.Version, 2L, false), (answer.ModelName, answer.ModelVersion, answer.EventsReflected, answer.ColdStart));
        var cached = view.Companions[0].Ranking;
        Assert.NotNull(cached);
        Assert.Null(view.Ranking); // the serving model's cache is its own
        await lane.TryAnswerAsync("u1", 8, ModelKey.Of(companion));
        Assert.Same(cached, view.Companions[0].Ranking);
        Assert.Equal(serving.Version, (await lane.TryAnswerAsync("u1", 5))!.ModelVersion);
    }

    [Fact]
    public async Task A_companion_the_view_lacks_or_the_provider_no_longer_names_is_left_to_the_actor()
    {
        var serving = new FakeModel("v1");
        var companion = new OrderedModel("c1");
        var board = new ServingBoard();
        board.Publish(new ServingView("u1", [1f, 0f], ["i1"], serving.Name, serving.Version, 1, 1,
            [new CompanionView(companion.Name, companion.Version, OrderedModel.Stepped(1), 1, 1)]));
        var models = new WithCompanions(serving, companion, new OrderedModel("c2"));
        var lane = new ServingLane(board, models);

        Assert.Null(await lane.TryAnswerAsync("u1", 5, new ModelKey("ordered", "c2"))); // not built yet: the actor answers (cold)
        Assert.Null(await lane.TryAnswerAsync("u1", 5, new ModelKey("ordered", "c3"))); // unknown: the actor says so
        Assert.Null(await lane.TryAnswerAsync("nobody", 5, ModelKey.Of(companion)));
        Assert.NotNull(await lane.TryAnswerAsync("u1", 5, ModelKey.Of(companion)));
        models.Companions = [];
        Assert.Null(await lane.TryAnswerAsync("u1", 5, ModelKey.Of(companion))); // dropped since the view was published
    }

    [Fact]
    public void Withdrawing_an_old_view_keeps_the_newer_one_of_the_same_user()
    {
        var model = new FakeModel("v1");
        var board = new ServingBoard();
        var old = View("u1", model, [1f, 0f], "i1");
        var newer = View("u1", model, [0f, 1f], "i2");
        board.Publish(old);
        board.Publish(newer);

        board.Withdraw(old);
        Assert.True(board.TryGet("u1", out var kept));
        Assert.Same(newer, kept);

        board.Withdraw(newer);
        Assert.False(board.TryGet("u1", out _));
    }
}
