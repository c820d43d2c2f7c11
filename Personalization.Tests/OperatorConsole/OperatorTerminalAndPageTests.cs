using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.RegularExpressions;
using Personalization.Node.Http.Dashboard;
using Personalization.Node.OperatorConsole.LineEditing;
using Personalization.Tests.Infrastructure;
using Xunit;

namespace Personalization.Tests.OperatorConsole;

/// <summary>
/// What an operator sees, seen the way they see it: the interactive console in a real pseudo-terminal (tmux: keys in,
/// screen out) against a real node, and the /dashboard page run by headless Chromium, its numbers checked against the
/// node's own.
/// </summary>
public sealed class OperatorTerminalAndPageTests(ConsoleNodeFixture nodes) : IClassFixture<ConsoleNodeFixture>
{
    private static readonly string ConsoleDll = Path.Combine(AppContext.BaseDirectory, "personalization.dll");

    [Fact]
    public async Task The_interactive_console_completes_with_Tab_recalls_with_Up_tails_the_cluster_until_q_and_keeps_its_history()
    {
        var user = $"tmux-{Guid.NewGuid():N}"[..13];
        var post = await nodes.Open.Http.PostAsync("/events", new StringContent($$"""{"user":"{{user}}","item":"42","type":"play"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Accepted, post.StatusCode);
        await Eventually.AssertAsync(async () => Assert.Equal(1, (await nodes.Open.SessionAsync(user)).EventCount), TimeSpan.FromSeconds(60));
        var home = Directory.CreateTempSubdirectory("pz-console-home-").FullName;
        var history = Path.Combine(home, ConsoleHistory.FileName);
        var node = nodes.Open.Http.BaseAddress!.ToString();
        var self = (await ConsoleNodeFixture.Client(nodes.Open).ClusterAsync(CancellationToken.None)).Self;
        var dotnet = Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";
        // HOME decides where the history goes (~/.personalization_console_history); no variable overrides it here.
        using var terminal = Tmux.Start($"env -u {ConsoleHistory.PathVariable} HOME={home} TERM=xterm-256color '{dotnet}' '{ConsoleDll}' console --node {node}");
        try
        {
            await terminal.WaitForAsync("pz> ", TimeSpan.FromSeconds(60));

            // Tab completes the group, then the subcommand; Enter runs it.
            terminal.Type("clu");
            terminal.SendKeys("Tab");
            await terminal.WaitForAsync(s => LastLine(s) == "pz> cluster", "the group completed to its common prefix");
            terminal.Type(" s");
            terminal.SendKeys("Tab");
            await terminal.WaitForAsync(s => LastLine(s) == "pz> cluster show", "cluster show completed");
            terminal.SendKeys("Enter");
            await terminal.WaitForAsync("leader, this node");

            // A user id completes from the users live on the node.
            terminal.Type("user insp");
            terminal.SendKeys("Tab");
            terminal.Type(user[..7]);
            terminal.SendKeys("Tab");
            await terminal.WaitForAsync(s => LastLine(s) == $"pz> user inspect {user}", "the user id completed");
            terminal.SendKeys("Enter");
            await terminal.WaitForAsync($"user {user} lives on {self}");

            // Up brings the last line back; editing it and Enter runs the edited line.
            terminal.SendKeys("Up");
            await terminal.WaitForAsync(s => LastLine(s) == $"pz> user inspect {user}", "the previous line recalled");
            terminal.Type(" 3"); // the line came back as it was run (trimmed)
            terminal.SendKeys("Enter");
            await terminal.WaitForAsync("top 3 (");

            // A live view: membership events until q.
            terminal.Type("cluster tail");
            terminal.SendKeys("Enter");
            await terminal.WaitForAsync(s => Regex.IsMatch(s, $@"member-up +{Regex.Escape(self)} \(Up\)"), "the member-up event");
            terminal.SendKeys("q");
            await terminal.WaitForAsync(s => LastLine(s) == "pz>", "the prompt after q");

            // A mistake keeps the session; Ctrl-C drops a half-typed line; exit leaves.
            terminal.Type("frobnicate");
            terminal.SendKeys("Enter");
            await terminal.WaitForAsync("error: unknown command \"frobnicate\"");
            terminal.Type("cluster down akka.tcp://nobody@10.0.0.1:1");
            terminal.SendKeys("C-c");
            await terminal.WaitForAsync("^C");
            terminal.Type("exit");
            terminal.SendKeys("Enter");
            await terminal.WaitForAsync(_ => terminal.Exited, "the console exited");
        }
        catch (Exception e) when (e is TimeoutException)
        {
            throw new TimeoutException(e.Message + "\n--- node log ---\n" + string.Join('\n', nodes.OpenLogs.Text.Split('\n').TakeLast(20)), e);
        }

        var lines = File.ReadAllLines(history);
        Assert.Equal(["cluster show", $"user inspect {user}", $"user inspect {user} 3", "cluster tail", "frobnicate", "exit"], lines);
        Directory.Delete(home, recursive: true);
    }

    [Fact]
    public async Task The_dashboard_page_shows_the_nodes_own_numbers_once_its_script_ran_in_headless_chromium()
    {
        var users = Enumerable.Range(0, 8).Select(i => $"dash-{Guid.NewGuid():N}"[..12] + i).ToArray();
        var body = "[" + string.Join(",", users.Select(u => $$"""{"user":"{{u}}","item":"1","type":"play"}""")) + "]";
        Assert.Equal(HttpStatusCode.Accepted, (await nodes.Open.Http.PostAsync("/events", new StringContent(body, Encoding.UTF8, "application/json"))).StatusCode);
        foreach (var u in users) Assert.Equal(HttpStatusCode.OK, (await nodes.Open.Http.GetAsync($"/users/{u}/recommendations?k=3")).StatusCode);
        // Idle: every event durable and committed, so the numbers hold still while the page and the test read them.
        DashboardDto? expected = null;
        await Eventually.AssertAsync(async () =>
        {
            var before = await DataAsync();
            Assert.True(before.Counters["eventsApplied"] >= users.Length);
            Assert.All(before.Partitions, p => Assert.Equal(p.Committable, p.Committed));
            await Task.Delay(500);
            var after = await DataAsync();
            Assert.Equal(before.Counters, after.Counters);
            Assert.Equal(before.Partitions, after.Partitions);
            expected = after;
        }, TimeSpan.FromSeconds(60));

        var url = nodes.Open.Http.BaseAddress + "dashboard";
        var dom = await HeadlessChromium.DumpDomAsync(url);
        var now = await DataAsync();

        Assert.Equal(expected!.Counters, now.Counters); // still idle: the page read these numbers too
        Assert.Matches("<body data-polls=\"[1-9]", dom);
        Assert.Contains("<span id=\"status\" class=\"live\">live</span>", dom);
        Assert.Equal(Count(now.Counters["eventsApplied"]), Span(dom, "events-applied"));
        Assert.Equal(Count(now.Counters["recordsConsumed"]), Span(dom, "records-consumed"));
        Assert.Equal(Count(now.Counters["deadLettered"]), Span(dom, "dlq-total"));
        Assert.Equal(now.Node, Regex.Match(dom, "<b id=\"node\">([^<]*)</b>").Groups[1].Value);
        Assert.Equal($"{now.ModelName} {now.ModelVersion}", Regex.Match(dom, "<b id=\"model\">([^<]*)</b>").Groups[1].Value);
        var rows = Regex.Matches(dom, "<tr data-partition=\"(\\d+)\">.*?<td data-field=\"committed\">([^<]*)</td>.*?<td data-field=\"lag\"[^>]*>([^<]*)</td>")
            .ToDictionary(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), m => (Committed: m.Groups[2].Value, Lag: m.Groups[3].Value));
        Assert.Equal(now.Partitions.Select(p => p.Partition), rows.Keys.Order());
        foreach (var p in now.Partitions)
        {
            Assert.Equal(Count(p.Committed), rows[p.Partition].Committed);
            Assert.Equal(p.Lag is { } lag ? Count(lag) : "–", rows[p.Partition].Lag);
        }

        // Query latency and freshness come from the node's histograms: the page shows a time, not a dash.
        Assert.Matches(@"<span id=""query-p99"">[\d.]+ (µs|ms|s)</span>", dom);
        Assert.Matches(@"<span id=""freshness-p50"">[\d.]+ (µs|ms|s)</span>", dom);
        // Series this node does not export are named as such, not shown as zeros.
        foreach (var missing in now.Missing)
        {
            var note = missing switch { "lag" => "lag-note", "dataQuality" => "quality-note", "deadLetteredByReason" => "dlq-note", _ => "query-note" };
            Assert.Matches($"id=\"{note}\">[^<]*not exported by this node", dom);
        }

        var png = Path.Combine(Path.GetTempPath(), $"pz-dashboard-{Guid.NewGuid():N}.png");
        try
        {
            await HeadlessChromium.ScreenshotAsync(url, png);
            var bytes = await File.ReadAllBytesAsync(png);
            Assert.True(bytes.Length > 10_000, $"a screenshot of {bytes.Length} bytes");
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], bytes[..4]);
        }
        finally
        {
            File.Delete(png);
        }

        var page = await nodes.Open.Http.GetAsync("/dashboard");
        var html = await page.Content.ReadAsStringAsync();
        Assert.StartsWith("default-src 'none'", page.Headers.GetValues("Content-Security-Policy").Single());
        Assert.DoesNotMatch("(src|href)=\"(https?:)?//", html); // nothing from elsewhere
    }

    private async Task<DashboardDto> DataAsync() =>
        (await nodes.Open.Http.GetFromJsonAsync("/dashboard/data", DashboardJsonContext.Default.DashboardDto))!;

    private static string Count(double n) => Math.Round(n).ToString("#,0", CultureInfo.InvariantCulture);

    private static string Span(string dom, string id) => Regex.Match(dom, $"<span id=\"{id}\"[^>]*>([^<]*)</span>").Groups[1].Value;

    private static string LastLine(string screen) =>
        screen.Split('\n').Select(l => l.TrimEnd()).LastOrDefault(l => l.Length > 0) ?? "";
}
