using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Personalization.Actors.Routing;
using Personalization.Node.Http.Admin;
using Personalization.Node.OperatorConsole;
using Personalization.Tests.Infrastructure;
using Personalization.Tests.Model;
using Xunit;

namespace Personalization.Tests.OperatorConsole;

/// <summary>The console's commands against whole nodes: the admin API through Akka, and the client that prints it.</summary>
public sealed class ConsoleNodeTests(ConsoleNodeFixture nodes) : IClassFixture<ConsoleNodeFixture>
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task Cluster_show_lists_the_node_as_an_Up_member_leader_and_self()
    {
        var state = await ConsoleNodeFixture.Client(nodes.Open).ClusterAsync(None);

        var self = Assert.Single(state.Members);
        Assert.Equal("Up", self.Status);
        Assert.True(self.IsSelf);
        Assert.True(self.IsLeader);
        Assert.True(self.Reachable);
        Assert.Equal(1, self.UpOrder);
        Assert.Equal(state.Self, self.Address);
        Assert.Equal(state.Self, state.Leader);
        Assert.StartsWith("akka.tcp://personalization@127.0.0.1:", state.Self);
        Assert.Empty(state.Unreachable);
    }

    [Fact]
    public async Task Region_stats_and_shard_stats_show_the_shards_and_entities_of_the_users_that_sent_events()
    {
        var users = Enumerable.Range(0, 12).Select(i => $"rs-{Guid.NewGuid():N}"[..12] + i).ToArray();
        var body = "[" + string.Join(",", users.Select(u => $$"""{"user":"{{u}}","item":"1","type":"play"}""")) + "]";
        var post = await nodes.Open.Http.PostAsync("/events", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Accepted, post.StatusCode);
        foreach (var user in users)
            await Eventually.AssertAsync(async () => Assert.Equal(1, (await nodes.Open.SessionAsync(user)).EventCount), TimeSpan.FromSeconds(60));
        var expected = users.GroupBy(u => KafkaPartitioner.PartitionFor(u, ConsoleNodeFixture.Partitions).ToString())
            .ToDictionary(g => g.Key, g => g.Count());
        var client = ConsoleNodeFixture.Client(nodes.Open);

        var stats = await client.RegionStatsAsync("user", None);
        var local = await client.ShardStatsAsync("user", None);

        Assert.Equal("user", stats.TypeName);
        var region = Assert.Single(stats.Regions);
        Assert.Empty(stats.FailedShards);
        // Other tests of this class may have started users on this node too: ours are a lower bound per shard.
        foreach (var (shard, count) in expected)
            Assert.True(region.Shards.Single(s => s.ShardId == shard).Entities >= count, $"shard {shard} should hold at least {count} users");
        Assert.Equal(region.Shards.Sum(s => s.Entities), region.Entities);
        Assert.Equal(region.Shards.Select(s => s.ShardId), region.Shards.Select(s => s.ShardId).OrderBy(int.Parse));
        Assert.Equal((await client.ClusterAsync(None)).Self, region.Address);
        // A cluster of one: the cluster-wide view and this node's own are the same shards.
        Assert.Equal(region.Shards.Select(s => s.ShardId), local.Shards.Select(s => s.ShardId));
        Assert.Equal(region.Address, local.Node);
        Assert.True(local.Entities >= users.Length);
    }

    [Fact]
    public async Task Entities_lists_the_users_live_on_the_node_by_shard_with_its_own_member_status()
    {
        var users = Enumerable.Range(0, 6).Select(i => $"en-{Guid.NewGuid():N}"[..12] + i).ToArray();
        var body = "[" + string.Join(",", users.Select(u => $$"""{"user":"{{u}}","item":"1","type":"play"}""")) + "]";
        Assert.Equal(HttpStatusCode.Accepted, (await nodes.Open.Http.PostAsync("/events", new StringContent(body, Encoding.UTF8, "application/json"))).StatusCode);
        foreach (var user in users)
            await Eventually.AssertAsync(async () => Assert.Equal(1, (await nodes.Open.SessionAsync(user)).EventCount), TimeSpan.FromSeconds(60));

        var state = await nodes.Open.Http.GetFromJsonAsync("/admin/sharding/user/entities", AdminJsonContext.Default.ShardEntitiesDto);

        Assert.Equal("Up", state!.NodeStatus);
        Assert.Equal((await ConsoleNodeFixture.Client(nodes.Open).ClusterAsync(None)).Self, state.Node);
        foreach (var user in users)
        {
            var shard = KafkaPartitioner.PartitionFor(user, ConsoleNodeFixture.Partitions).ToString(System.Globalization.CultureInfo.InvariantCulture);
            Assert.Contains(user, state.Shards.Single(s => s.ShardId == shard).EntityIds);
        }

        Assert.Equal(state.Shards.Sum(s => s.EntityIds.Count), state.Entities);
        Assert.False(state.Truncated);
        var one = await nodes.Open.Http.GetFromJsonAsync("/admin/sharding/user/entities?limit=1", AdminJsonContext.Default.ShardEntitiesDto);
        Assert.Equal((1, true), (one!.Shards.Sum(s => s.EntityIds.Count), one.Truncated));
        var refused = await nodes.Open.Http.GetAsync("/admin/sharding/user/entities?limit=0");
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("limit must be from 1 to", await refused.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Network_fault_injection_is_off_by_default_so_its_endpoints_do_not_exist()
    {
        var state = await ConsoleNodeFixture.Client(nodes.Open).ClusterAsync(None);
        var cut = await nodes.Open.Http.PostAsJsonAsync("/admin/faults/network/cut", new ClusterAddressRequest("akka.tcp://personalization@10.9.9.9:4053"),
            AdminJsonContext.Default.ClusterAddressRequest);

        Assert.Equal(HttpStatusCode.NotFound, cut.StatusCode);
        Assert.StartsWith("akka.tcp://", state.Self); // no throttler adapter in the address either
    }

    [Fact]
    public async Task Regions_lists_the_user_type_and_an_unknown_type_is_refused_with_the_list()
    {
        var client = ConsoleNodeFixture.Client(nodes.Open);

        Assert.Contains("user", (await client.RegionsAsync(None)).TypeNames);
        var failure = await Assert.ThrowsAsync<ConsoleFailure>(() => client.RegionStatsAsync("song", None));
        Assert.Equal(ConsoleExitCodes.Refused, failure.ExitCode);
        Assert.Equal("no shard region \"song\" on this node; regions: user (404)", failure.Message);
    }

    [Fact]
    public async Task Model_show_describes_the_shipped_model()
    {
        var model = await ConsoleNodeFixture.Client(nodes.Open).ModelAsync(None);
        var manifest = Personalization.Actors.Model.ModelManifest.Load(Path.Combine(RepositoryPaths.DefaultModel, "manifest.json"));

        Assert.Equal(manifest.Name, model.Current.Name);
        Assert.Equal(manifest.Version, model.Current.Version);
        Assert.Equal(manifest.HiddenSize, model.Current.StateSize);
        Assert.Equal(manifest.ItemCount - 1, model.Current.Items);
        Assert.Empty(model.Variants);
        Assert.True(model.Loads >= 1);
    }

    [Fact]
    public async Task Model_load_of_a_folder_without_its_step_graph_is_refused_with_the_reason_and_the_model_keeps_serving()
    {
        using var bad = TestModelFolder.Copy();
        File.Delete(bad.File("step.onnx"));
        var client = ConsoleNodeFixture.Client(nodes.Open);
        var before = await client.ModelAsync(None);

        var failure = await Assert.ThrowsAsync<ConsoleFailure>(() => client.LoadModelAsync(bad.Path, None));

        Assert.Equal(ConsoleExitCodes.Refused, failure.ExitCode);
        Assert.StartsWith($"model folder refused: step.onnx is missing in {bad.Path}", failure.Message);
        Assert.EndsWith($"still serving {before.Current.Name} {before.Current.Version} (422)", failure.Message);
        var after = await client.ModelAsync(None);
        Assert.Equal(before, after with { Variants = before.Variants });
        var answer = await nodes.Open.Http.GetFromJsonAsync("/users/after-refusal/recommendations?k=3", Personalization.Node.Http.ApiJsonContext.Default.RecommendationsDto);
        Assert.Equal(before.Current.Version, answer!.Model.Version);
    }

    [Fact]
    public async Task Model_load_of_a_good_copy_swaps_the_model_in()
    {
        using var copy = TestModelFolder.Copy();
        var client = ConsoleNodeFixture.Client(nodes.Open);
        var before = await client.ModelAsync(None);

        var loaded = await client.LoadModelAsync(copy.Path, None);

        // Same files, same version: the swap shows in the load count, the time and the folder.
        Assert.Equal(before.Current, loaded.Current);
        Assert.Equal(before.Loads + 1, loaded.Loads);
        Assert.True(loaded.LoadedAt > before.LoadedAt);
        Assert.Equal(copy.Path, loaded.Path);
        Assert.Equal(loaded, await client.ModelAsync(None) with { Variants = loaded.Variants });
        var answer = await nodes.Open.Http.GetFromJsonAsync("/users/after-swap/recommendations?k=3", Personalization.Node.Http.ApiJsonContext.Default.RecommendationsDto);
        Assert.Equal(3, answer!.Items.Count);

        // Back to the shipped folder, so the copy can be deleted while nothing serves from it.
        Assert.Equal(RepositoryPaths.DefaultModel, (await client.LoadModelAsync(RepositoryPaths.DefaultModel, None)).Path);
    }

    [Fact]
    public async Task Ingest_status_shows_the_partitions_this_node_consumes_and_their_offsets_once_durable()
    {
        var client = ConsoleNodeFixture.Client(nodes.Open);
        var body = "[" + string.Join(",", Enumerable.Range(0, 20).Select(i => $$"""{"user":"ingest-{{i}}","item":"1","type":"play"}""")) + "]";
        Assert.Equal(HttpStatusCode.Accepted, (await nodes.Open.Http.PostAsync("/events", new StringContent(body, Encoding.UTF8, "application/json"))).StatusCode);

        await Eventually.AssertAsync(async () =>
        {
            var ingest = await client.IngestAsync(None);
            Assert.True(ingest.Consuming, ingest.Detail);
            Assert.Equal(nodes.Open.Options.Kafka.Topic, ingest.Topic);
            Assert.Equal(Enumerable.Range(0, ConsoleNodeFixture.Partitions), ingest.Partitions.Select(p => p.Partition));
            // Offsets are positions (next to read): together they cover at least the 20 events sent here.
            Assert.True(ingest.Partitions.Sum(p => p.Committed) >= 20, $"committed {string.Join(" ", ingest.Partitions.Select(p => p.Committed))}");
            Assert.All(ingest.Partitions, p => Assert.Equal(p.Committable, p.Committed));
            Assert.Equal(0, ingest.InFlight);
            Assert.True(ingest.EventsApplied >= 20);
        }, TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task Cluster_down_of_an_address_that_is_not_a_member_is_refused_with_the_members()
    {
        var client = ConsoleNodeFixture.Client(nodes.Open);
        var self = (await client.ClusterAsync(None)).Self;

        var failure = await Assert.ThrowsAsync<ConsoleFailure>(() => client.ClusterActionAsync("down", "akka.tcp://personalization@10.9.9.9:4053", None));

        Assert.Equal(ConsoleExitCodes.Refused, failure.ExitCode);
        Assert.Equal($"akka.tcp://personalization@10.9.9.9:4053 is not a member of the cluster; members: {self} (404)", failure.Message);
    }

    [Fact]
    public async Task With_a_token_the_admin_api_answers_401_without_it_or_with_a_wrong_one_and_200_with_it()
    {
        var http = nodes.Secured.Http;

        var none = await http.GetAsync("/admin/cluster");
        using var wrongRequest = new HttpRequestMessage(HttpMethod.Get, "/admin/cluster") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", "not-the-token") } };
        var wrong = await http.SendAsync(wrongRequest);
        using var wrongPost = new HttpRequestMessage(HttpMethod.Post, "/admin/model/load") { Content = JsonContent.Create(new ModelLoadRequest("/tmp"), AdminJsonContext.Default.ModelLoadRequest) };
        var mutating = await http.SendAsync(wrongPost);
        using var rightRequest = new HttpRequestMessage(HttpMethod.Get, "/admin/cluster") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", ConsoleNodeFixture.Token) } };
        var right = await http.SendAsync(rightRequest);

        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Contains("Authorization: Bearer <console token>", (await none.Content.ReadFromJsonAsync(AdminJsonContext.Default.ErrorDto))!.Error);
        Assert.Equal("Bearer", none.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal("the console token is wrong", (await wrong.Content.ReadFromJsonAsync(AdminJsonContext.Default.ErrorDto))!.Error);
        Assert.Equal(HttpStatusCode.Unauthorized, mutating.StatusCode);
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        Assert.Equal("Up", (await right.Content.ReadFromJsonAsync(AdminJsonContext.Default.ClusterStateDto))!.Members.Single().Status);
        // The public API stays public.
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/users/anyone/recommendations?k=1")).StatusCode);
    }

    [Fact]
    public async Task The_console_prints_cluster_show_as_a_table()
    {
        var (session, _, output) = ConsoleNodeFixture.Console(nodes.Open);
        var self = (await ConsoleNodeFixture.Client(nodes.Open).ClusterAsync(None)).Self;

        var exit = await session.ExecuteAsync(Parse("cluster show"), None);

        Assert.Equal(ConsoleExitCodes.Ok, exit);
        var text = output.ToString();
        Assert.Matches($@"│ 1 +│ {Escape(self)} +│ Up +│ [^│]*│ yes +│ leader, this node +│", text);
        Assert.Contains($"leader: {self}; this node: {self}; members: 1, unreachable: 0", text);
    }

    [Fact]
    public async Task The_console_prints_recommendations_and_a_session()
    {
        var (session, _, output) = ConsoleNodeFixture.Console(nodes.Open);

        Assert.Equal(ConsoleExitCodes.Ok, await session.ExecuteAsync(Parse("user recommend console-newcomer 3"), None));
        Assert.Equal(ConsoleExitCodes.Ok, await session.ExecuteAsync(Parse("user show console-newcomer"), None));

        var lines = output.ToString().Split('\n');
        Assert.Contains(lines, l => l.StartsWith("user console-newcomer: model ", StringComparison.Ordinal) && l.Contains("0 events reflected, cold start (popular items)"));
        Assert.Equal(3, lines.Count(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^│ [123] +│ \S+ +│ -?\d+\.\d{4} │")));
        Assert.Contains(lines, l => l.StartsWith("user console-newcomer: 0 events (play 0, skip 0, like 0, add_to_playlist 0)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_console_prints_a_refused_model_load_and_exits_non_zero()
    {
        using var bad = TestModelFolder.Copy();
        File.Delete(bad.File("step.onnx"));
        var (session, _, output) = ConsoleNodeFixture.Console(nodes.Open);

        var exit = await session.ExecuteAsync(Parse($"model load {bad.Path}"), None);

        Assert.Equal(ConsoleExitCodes.Refused, exit);
        Assert.StartsWith($"error: model folder refused: step.onnx is missing in {bad.Path}", output.ToString());
    }

    [Fact]
    public async Task The_console_with_a_wrong_token_exits_with_the_unauthorized_code_and_with_the_right_one_works()
    {
        var (wrongSession, _, wrongOutput) = ConsoleNodeFixture.Console(nodes.Secured, "nope");
        var (rightSession, _, rightOutput) = ConsoleNodeFixture.Console(nodes.Secured, ConsoleNodeFixture.Token);

        Assert.Equal(ConsoleExitCodes.Unauthorized, await wrongSession.ExecuteAsync(Parse("model show"), None));
        Assert.Equal(ConsoleExitCodes.Ok, await rightSession.ExecuteAsync(Parse("model show"), None));

        Assert.StartsWith("error: the node refused the request (401): the console token is wrong; pass --token or set PERSONALIZATION_CONSOLE_TOKEN", wrongOutput.ToString());
        Assert.Contains("A/B: no experiment", rightOutput.ToString());
    }

    [Fact]
    public async Task The_interactive_prompt_runs_lines_until_exit_and_keeps_going_after_errors()
    {
        var (session, console, output) = ConsoleNodeFixture.Console(nodes.Open);
        var input = new StringReader("help\n\nbogus words\ncluster-sharding regions\nexit\ncluster show\n");

        var exit = await InteractiveConsole.RunAsync(input, console, session, None);

        var text = output.ToString();
        Assert.Equal(ConsoleExitCodes.Ok, exit);
        Assert.Contains("cluster-sharding region-stats [type]", text); // help
        Assert.Contains("error: unknown command \"bogus\"; type help for the list", text);
        Assert.Matches(@"│ user +│", text);
        Assert.DoesNotContain("leader:", text); // nothing runs after exit
        Assert.Equal(5, text.Split(InteractiveConsole.Prompt).Length - 1);
    }

    [Fact]
    public async Task An_unreachable_node_is_reported_with_its_address_and_its_exit_code()
    {
        var port = Personalization.Node.Hosting.FreePorts.Next();
        var (clients, _) = ConsoleConnection.Create([$"http://127.0.0.1:{port}"], null, TimeSpan.FromSeconds(5));

        var failure = await Assert.ThrowsAsync<ConsoleFailure>(() => clients.Single().ClusterAsync(None));

        Assert.Equal(ConsoleExitCodes.Unreachable, failure.ExitCode);
        Assert.StartsWith($"cannot reach the node at http://127.0.0.1:{port}/: ", failure.Message);
    }

    private static ConsoleCommand Parse(string line) => ConsoleCommandParser.Parse(line.Split(' ')).Command!;

    private static string Escape(string text) => System.Text.RegularExpressions.Regex.Escape(text);

}
