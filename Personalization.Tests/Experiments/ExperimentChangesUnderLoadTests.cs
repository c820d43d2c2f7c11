using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using Personalization.Node.Http;
using Personalization.Node.Http.Admin;
using Personalization.Tests.Engine;
using Personalization.Tests.Infrastructure;
using Xunit;

namespace Personalization.Tests.Experiments;

/// <summary>Experiments started, reweighted and stopped, and a model hot-swapped, while queries keep coming: every query is answered.</summary>
public sealed class ExperimentChangesUnderLoadTests(EngineTestContext context) : IClassFixture<EngineTestContext>
{
    [Fact]
    public async Task Hot_swaps_and_experiment_changes_under_query_load_answer_every_query_with_a_full_list()
    {
        var topic = context.CreateTopic(partitions: 4);
        var options = TestNode.CreateOptions(context.Broker.BootstrapServers, topic, 4, "sqlite", EngineTestContext.SqliteConnectionString());
        options.Experiments.Impressions = false;
        options.Http.MaxConcurrentRequests = 1024;
        await using var node = await TestNode.StartAsync(options);
        var users = SampleWorkload.Take(40);
        var body = "[" + string.Join(",", users.Events.Select(e => $$"""{"user":"load-{{e.UserId}}","item":"{{e.ItemId}}","type":"play"}""")) + "]";
        Assert.Equal(HttpStatusCode.Accepted, (await node.Http.PostAsync("/events", new StringContent(body, Encoding.UTF8, "application/json"))).StatusCode);

        var failures = new ConcurrentBag<string>();
        var answered = 0;
        using var stop = new CancellationTokenSource();
        var ids = users.ItemsByUser.Keys.Select(u => "load-" + u).ToArray();
        var load = Enumerable.Range(0, 6).Select(worker => Task.Run(async () =>
        {
            for (var i = worker; !stop.IsCancellationRequested; i++)
            {
                using var response = await node.Http.GetAsync($"/users/{ids[i % ids.Length]}/recommendations?k=10");
                var text = await response.Content.ReadAsStringAsync();
                if (response.StatusCode != HttpStatusCode.OK) failures.Add($"{(int)response.StatusCode}: {text}");
                else if (System.Text.Json.JsonSerializer.Deserialize(text, ApiJsonContext.Default.RecommendationsDto) is not { Items.Count: 10 }) failures.Add($"not 10 items: {text}");
                Interlocked.Increment(ref answered);
            }
        })).ToArray();

        async Task Admin(HttpStatusCode expected, Task<HttpResponseMessage> call) => Assert.Equal(expected, (await call).StatusCode);
        await Admin(HttpStatusCode.Created, node.Http.PostAsJsonAsync("/admin/experiments", new CreateExperimentRequest(
            "under-load", "ab", [new VariantRequest("control", 1, null, null), new VariantRequest("weak", 1, RepositoryPaths.WeakModel, null)], null, null, null, null),
            ExperimentJsonContext.Default.CreateExperimentRequest));
        await Admin(HttpStatusCode.OK, node.Http.PostAsync("/admin/experiments/under-load/start", null));
        await Task.Delay(1500);
        await Admin(HttpStatusCode.OK, node.Http.PostAsJsonAsync("/admin/experiments/under-load/set", new SetExperimentRequest(new Dictionary<string, double> { ["weak"] = 3 }, null), ExperimentJsonContext.Default.SetExperimentRequest));
        await Task.Delay(1000);
        await Admin(HttpStatusCode.OK, node.Http.PostAsJsonAsync("/admin/model/load", new ModelLoadRequest(RepositoryPaths.DefaultModel), AdminJsonContext.Default.ModelLoadRequest));
        await Task.Delay(1000);
        await Admin(HttpStatusCode.OK, node.Http.PostAsync("/admin/experiments/under-load/stop", null));
        await Admin(HttpStatusCode.Created, node.Http.PostAsJsonAsync("/admin/experiments", new CreateExperimentRequest(
            "under-load-draft", "interleaving", [new VariantRequest("control", 1, null, null), new VariantRequest("weak", 1, RepositoryPaths.WeakModel, null)], null, null, null, null),
            ExperimentJsonContext.Default.CreateExperimentRequest));
        await Admin(HttpStatusCode.OK, node.Http.PostAsync("/admin/experiments/under-load-draft/start", null));
        await Task.Delay(1500);
        await Admin(HttpStatusCode.OK, node.Http.PostAsync("/admin/experiments/under-load-draft/stop", null));
        await Task.Delay(500);
        await stop.CancelAsync();
        await Task.WhenAll(load);

        Assert.True(answered > 100, $"only {answered} queries ran");
        Assert.True(failures.IsEmpty, $"{failures.Count} of {answered} queries failed, e.g. {failures.FirstOrDefault()}");
    }
}
