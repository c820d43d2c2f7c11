using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Personalization.Node.Demo;
using Personalization.Node.Http;
using Personalization.Node.Http.Admin;
using Personalization.Tests.Engine;
using Personalization.Tests.Infrastructure;
using Xunit;

namespace Personalization.Tests.Experiments;

/// <summary>
/// An A/B test of the shipped model against a weaker one (models/weak) on replayed Games sessions, each user playing
/// their logged next item after every answer, through the public API (<see cref="SessionReplay"/>).
/// </summary>
public sealed class ExperimentReplayTests(EngineTestContext context, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<EngineTestContext>
{
    private const int Users = 240;

    private static async Task<TestNode> NodeAsync(EngineTestContext context, string topic)
    {
        var options = TestNode.CreateOptions(context.Broker.BootstrapServers, topic, 4, "sqlite", EngineTestContext.SqliteConnectionString());
        options.Experiments.ImpressionsTopic = topic + ".impressions";
        context.Broker.CreateTopic(options.Experiments.ImpressionsTopic, 2);
        return await TestNode.StartAsync(options);
    }

    private static async Task<ExperimentDto> CreateAndStartAsync(HttpClient http, string name, string kind = "ab")
    {
        var create = await http.PostAsJsonAsync("/admin/experiments", new CreateExperimentRequest(
            name, kind, [new VariantRequest("control", 50, null, null), new VariantRequest("weak", 50, RepositoryPaths.WeakModel, null)], null, null, null, null),
            ExperimentJsonContext.Default.CreateExperimentRequest);
        Assert.Equal(HttpStatusCode.Created, create.StatusCode);
        var start = await http.PostAsync($"/admin/experiments/{name}/start", null);
        Assert.Equal(HttpStatusCode.OK, start.StatusCode);
        ExperimentDto? shown = null;
        await Eventually.AssertAsync(async () =>
        {
            shown = await http.GetFromJsonAsync($"/admin/experiments/{name}", ExperimentJsonContext.Default.ExperimentDto);
            Assert.True(shown!.ServingHere, shown.NodeError);
        }, TimeSpan.FromSeconds(60));
        return shown!;
    }

    /// <summary>What an offline replay of the same sessions scores: each next play against the top 10 of the state before it.</summary>
    private static int OfflineHits(OfflineModel model, IEnumerable<IReadOnlyList<string>> sessions) =>
        sessions.Sum(items => Enumerable.Range(1, items.Count - 1).Count(i =>
            model.TopK(items.Take(i).ToList(), 10, EngineAssertions.RecentCapacity).Any(s => model.Vocabulary.IdAt(s.Index) == items[i])));

    [Fact]
    public async Task Online_hit_rates_per_variant_equal_the_offline_replay_and_rank_the_better_model_first()
    {
        var topic = context.CreateTopic(partitions: 4);
        await using var node = await NodeAsync(context, topic);
        await CreateAndStartAsync(node.Http, "gru-vs-weak");
        var sessions = SampleWorkload.Take(Users).ItemsByUser.Select(kv => (kv.Key, (IReadOnlyList<string>)kv.Value)).ToList();

        var replay = await new SessionReplay(node.Http, 10, "ab-").RunAsync(sessions, parallel: 16);
        var report = (await node.Http.GetFromJsonAsync("/admin/experiments/gru-vs-weak/report", ExperimentJsonContext.Default.ExperimentReportDto))!;

        // Assignment: stable (the replay's answers per user never changed variant is implied by the counts below) and by weight.
        var byVariant = sessions.GroupBy(s => Assignment(report, "ab-" + s.Key)).ToDictionary(g => g.Key, g => g.Select(s => s.Item2).ToList());
        Assert.InRange(byVariant["control"].Count, Users / 2 - 4 * Math.Sqrt(Users / 4.0), Users / 2 + 4 * Math.Sqrt(Users / 4.0));
        using var weak = new OfflineModel(RepositoryPaths.WeakModel);
        var expected = new Dictionary<string, int> { ["control"] = OfflineHits(context.Offline, byVariant["control"]), ["weak"] = OfflineHits(weak, byVariant["weak"]) };
        foreach (var variant in report.Variants)
        {
            var answers = byVariant[variant.Name].Sum(items => items.Count - 1);
            Assert.Equal(answers, variant.Impressions);
            Assert.Equal(answers, variant.Outcomes);
            Assert.Equal(expected[variant.Name], variant.Hits);
            Assert.Equal(replay.Variants.Single(v => v.Variant == variant.Name).Hits, variant.Hits);
            Assert.Equal(answers, variant.AttributedPlays);
        }

        var control = report.Variants.Single(v => v.Name == "control");
        var candidate = report.Variants.Single(v => v.Name == "weak");
        Assert.True(control.HitRate > candidate.HitRate, $"control {control.HitRate:P2} vs weak {candidate.HitRate:P2}");
        var comparison = Assert.Single(report.Comparisons);
        Assert.True(comparison.HitRateP < 0.05, $"p = {comparison.HitRateP}");
    }

    [Fact]
    public async Task Interleaving_drafts_both_rankers_into_every_answer_and_credits_plays_to_the_better_one()
    {
        var topic = context.CreateTopic(partitions: 4);
        await using var node = await NodeAsync(context, topic);
        await CreateAndStartAsync(node.Http, "gru-vs-weak-il", "interleaving");
        var sessions = SampleWorkload.Take(Users / 2).ItemsByUser.Select(kv => (kv.Key, (IReadOnlyList<string>)kv.Value)).ToList();

        var replay = await new SessionReplay(node.Http, 10, "il-").RunAsync(sessions, parallel: 16);
        var report = (await node.Http.GetFromJsonAsync("/admin/experiments/gru-vs-weak-il/report", ExperimentJsonContext.Default.ExperimentReportDto))!;

        var answers = sessions.Sum(s => s.Item2.Count - 1);
        Assert.Equal(answers, replay.Variants.Single(v => v.Variant == "control+weak").Answers);
        Assert.Equal(answers, report.Variants[0].Outcomes);
        var verdict = report.Interleaving!;
        Assert.Equal(report.Variants[0].Hits, verdict.WinsA + verdict.WinsB);
        Assert.Equal("control", verdict.Better);
        Assert.True(verdict.P < 0.05, $"p = {verdict.P}");
    }

    [Fact]
    public async Task Interleaving_tells_the_models_apart_with_fewer_answers_than_an_ab_split_of_the_same_sessions()
    {
        var topic = context.CreateTopic(partitions: 4);
        await using var node = await NodeAsync(context, topic);
        var sessions = SampleWorkload.Take(Users).ItemsByUser.Select(kv => (kv.Key, (IReadOnlyList<string>)kv.Value)).ToList();

        await CreateAndStartAsync(node.Http, "split");
        var ab = await new SessionReplay(node.Http, 10, "cmp-ab-").RunAsync(sessions, parallel: 16);
        Assert.Equal(HttpStatusCode.OK, (await node.Http.PostAsync("/admin/experiments/split/stop", null)).StatusCode);
        await CreateAndStartAsync(node.Http, "draft", "interleaving");
        var interleaved = await new SessionReplay(node.Http, 10, "cmp-il-").RunAsync(sessions, parallel: 16);

        var abNeeded = SignificanceCurve.AnswersForPower(ab.Observed, interleaving: false) ?? int.MaxValue;
        var ilNeeded = SignificanceCurve.AnswersForPower(interleaved.Observed, interleaving: true);
        output.WriteLine($"answers for 80 % power: interleaving {ilNeeded} of {interleaved.Observed.Count}, A/B {abNeeded} of {ab.Observed.Count}");
        Assert.NotNull(ilNeeded);
        Assert.True(ilNeeded < abNeeded, $"interleaving needed {ilNeeded} answers, A/B {abNeeded}");
    }

    [Fact]
    public async Task A_shadow_candidate_is_scored_silently_on_the_same_plays_as_the_live_model()
    {
        var topic = context.CreateTopic(partitions: 4);
        await using var node = await NodeAsync(context, topic);
        var create = await node.Http.PostAsJsonAsync("/admin/experiments", new CreateExperimentRequest(
            "shadowed", "shadow", [new VariantRequest("live", 1, null, null), new VariantRequest("weak", 1, RepositoryPaths.WeakModel, null)], null, null, null, null),
            ExperimentJsonContext.Default.CreateExperimentRequest);
        Assert.Equal(HttpStatusCode.Created, create.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await node.Http.PostAsync("/admin/experiments/shadowed/start", null)).StatusCode);
        await Eventually.AssertAsync(async () =>
            Assert.True((await node.Http.GetFromJsonAsync("/admin/experiments/shadowed", ExperimentJsonContext.Default.ExperimentDto))!.ServingHere), TimeSpan.FromSeconds(60));
        var sessions = SampleWorkload.Take(Users / 2).ItemsByUser.Select(kv => (kv.Key, (IReadOnlyList<string>)kv.Value)).ToList();

        var replay = await new SessionReplay(node.Http, 10, "sh-").RunAsync(sessions, parallel: 16);

        Assert.Empty(replay.Observed); // no answer says it is in an experiment: the candidate is silent
        using var weak = new OfflineModel(RepositoryPaths.WeakModel);
        var sampled = sessions.Where(s => Actors.Model.VariantAssignment.BucketOf("sh-" + s.Key, "shadowed") >= Actors.Model.VariantAssignment.Buckets / 2).Select(s => s.Item2).ToList();
        var answers = sampled.Sum(items => items.Count - 1);
        ExperimentReportDto? report = null;
        await Eventually.AssertAsync(async () =>
        {
            report = (await node.Http.GetFromJsonAsync("/admin/experiments/shadowed/report", ExperimentJsonContext.Default.ExperimentReportDto))!;
            Assert.All(report.Variants, v => Assert.Equal(answers, v.Outcomes));
        });
        Assert.Equal(OfflineHits(context.Offline, sampled), report!.Variants.Single(v => v.Name == "live").Hits);
        Assert.Equal(OfflineHits(weak, sampled), report.Variants.Single(v => v.Name == "weak").Hits);
        Assert.True(report.Comparisons.Single().HitRateDifference < 0);
    }

    [Fact]
    public async Task With_the_rule_on_items_a_user_was_shown_and_passed_over_are_not_shown_again()
    {
        var topic = context.CreateTopic(partitions: 4);
        var options = TestNode.CreateOptions(context.Broker.BootstrapServers, topic, 4, "sqlite", EngineTestContext.SqliteConnectionString());
        options.Experiments.Impressions = false;
        options.Sessions.SuppressIgnoredAfter = 1;
        await using var node = await TestNode.StartAsync(options);
        var items = SampleWorkload.Take(1).ItemsByUser.Values.Single();
        var replay = new SessionReplay(node.Http, 10, "ignored-");
        await replay.RunAsync([("u", (IReadOnlyList<string>)[items[0]])], parallel: 1);
        var first = (await node.Http.GetFromJsonAsync("/users/ignored-u/recommendations?k=10", ApiJsonContext.Default.RecommendationsDto))!;
        var other = items.Skip(1).First(i => first.Items.All(r => r.ItemId != i));

        var play = await node.Http.PostAsync("/events", new StringContent($$"""{"user":"ignored-u","item":"{{other}}","type":"play"}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Accepted, play.StatusCode);

        await Eventually.AssertAsync(async () =>
        {
            var next = (await node.Http.GetFromJsonAsync("/users/ignored-u/recommendations?k=10", ApiJsonContext.Default.RecommendationsDto))!;
            Assert.Equal(2, next.EventsReflected);
            Assert.Empty(next.Items.Select(i => i.ItemId).Intersect(first.Items.Select(i => i.ItemId)));
        });
    }

    [Fact]
    public async Task Every_answer_has_an_impression_record_with_its_recommendation_id_and_items()
    {
        var topic = context.CreateTopic(partitions: 4);
        await using var node = await NodeAsync(context, topic);
        var answers = new List<RecommendationsDto>();
        for (var i = 0; i < 12; i++)
            answers.Add((await node.Http.GetFromJsonAsync($"/users/imp-{i}/recommendations?k=5", ApiJsonContext.Default.RecommendationsDto))!);

        var records = await Kcat.ConsumeAsync(context.Broker.BootstrapServers, node.Options.Experiments.ImpressionsTopic, answers.Count);

        var byId = records.Select(r => JsonDocument.Parse(r[(r.IndexOf('|') + 1)..]).RootElement).ToDictionary(r => r.GetProperty("recommendationId").GetString()!);
        foreach (var answer in answers)
        {
            var record = byId[answer.RecommendationId!];
            Assert.Equal(answer.UserId, record.GetProperty("user").GetString());
            Assert.Equal(answer.Items.Select(i => i.ItemId), record.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("item").GetString()));
            Assert.Equal([1, 2, 3, 4, 5], record.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("position").GetInt32()));
        }
    }

    private static string Assignment(ExperimentReportDto report, string user)
    {
        var salt = report.Experiment.Salt;
        var bucket = Actors.Model.VariantAssignment.BucketOf(user, salt);
        // 50/50 allocated in variant order: the first half of the buckets is the control's.
        return bucket < Actors.Model.VariantAssignment.Buckets / 2 ? report.Experiment.Variants[0].Name : report.Experiment.Variants[1].Name;
    }
}
