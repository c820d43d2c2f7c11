using System.CommandLine;
using Personalization.Node.Demo;
using Personalization.Node.Hosting;

namespace Personalization.Node.Cli;

/// <summary>
/// `replay`: plays logged sessions through a node's public API as a product surface would — ask, play the logged
/// next item with the answer's recommendation id, wait until it is applied — so a running experiment gets real
/// traffic (README, "Experiments"). Prints what the client saw per variant.
/// </summary>
public static class ReplayCommand
{
    public static Command Create()
    {
        var target = new Option<string>("--target") { Description = "the node's HTTP address", DefaultValueFactory = _ => "http://localhost:8080" };
        var data = new Option<string>("--data") { Description = "sessions, one \"user item\" line per play in order", DefaultValueFactory = _ => "data/sample/games-sessions.txt" };
        var users = new Option<int>("--users") { Description = "replay this many users (0: all)", DefaultValueFactory = _ => 0 };
        var parallel = new Option<int>("--parallel") { Description = "users replayed at once", DefaultValueFactory = _ => 16 };
        var prefix = new Option<string>("--user-prefix") { Description = "prefix for user ids (fresh sessions on a node that holds the sample's users)", DefaultValueFactory = _ => "replay-" };
        var k = new Option<int>("--k") { Description = "list length asked for", DefaultValueFactory = _ => 10 };
        var command = new Command("replay", "Replay logged sessions through the HTTP API: ask, play the next item with the recommendation id, wait until applied")
        {
            target, data, users, parallel, prefix, k,
        };
        command.SetAction(async (result, ct) =>
        {
            if (result.GetValue(parallel) is < 1 or > 1024) return Fail("--parallel must be from 1 to 1024");
            if (result.GetValue(k) is < 1 or > Http.UserEndpoints.MaxK) return Fail($"--k must be from 1 to {Http.UserEndpoints.MaxK}");
            if (result.GetValue(users) < 0) return Fail("--users must be 0 (all) or more");
            if (!Uri.TryCreate(result.GetValue(target), UriKind.Absolute, out var baseAddress)) return Fail($"--target \"{result.GetValue(target)}\" is not an absolute URL");
            var path = RepoFiles.Resolve(result.GetValue(data)!);
            if (!File.Exists(path)) return Fail($"sessions file {path} not found (--data)");
            List<(string User, IReadOnlyList<string> Items)> sessions;
            try
            {
                sessions = [.. SampleSessions.Load(path).GroupBy(e => e.User, StringComparer.Ordinal).Select(g => (g.Key, (IReadOnlyList<string>)[.. g.Select(e => e.Item)]))];
            }
            catch (FormatException e)
            {
                return Fail(e.Message);
            }

            if (result.GetValue(users) > 0) sessions = [.. sessions.Take(result.GetValue(users))];
            using var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
            var total = sessions.Sum(s => s.Items.Count);
            var progress = new Progress<int>(n =>
            {
                if (n % 1000 == 0 || n == total) Console.Error.WriteLine($"replay: {n:N0} of {total:N0} plays");
            });
            try
            {
                var summary = await new SessionReplay(http, result.GetValue(k), result.GetValue(prefix)!).RunAsync(sessions, result.GetValue(parallel), progress, ct);
                Console.WriteLine($"replayed {summary.Events:N0} plays of {summary.Users:N0} users in {summary.Elapsed.TotalSeconds:0.0} s, {summary.Answers:N0} answers");
                foreach (var v in summary.Variants)
                    Console.WriteLine($"  {v.Variant,-16} {v.Answers,8:N0} answers  next play in the top {result.GetValue(k)}: {v.Hits,6:N0} ({(v.Answers == 0 ? 0 : v.Hits / (double)v.Answers):P2})");
                if (summary.Observed.Count > 0)
                {
                    var interleaving = summary.Observed.Any(o => o.Credited is not null) || summary.Observed.All(o => o.Variant.Contains('+'));
                    var p = SignificanceCurve.PValues(summary.Observed, interleaving);
                    var needed = SignificanceCurve.AnswersToSignificance(p);
                    Console.WriteLine($"  {(interleaving ? "sign test of credited plays" : "two-proportion z-test of hit rates")}: p = {p[^1]:G3} after {p.Length:N0} answers; "
                        + (needed is { } n ? $"below 0.05 from answer {n:N0} on" : "not below 0.05 yet"));
                    var forPower = SignificanceCurve.AnswersForPower(summary.Observed, interleaving);
                    Console.WriteLine($"  answers for 80 % power at p < 0.05 (resampling these answers): {(forPower is { } m ? m.ToString("N0") : "more than were served")}");
                }
                return 0;
            }
            catch (Exception e) when (e is HttpRequestException or InvalidOperationException or TimeoutException)
            {
                return Fail(e.Message);
            }
        });
        return command;
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"replay: {message}");
        return 2;
    }
}
