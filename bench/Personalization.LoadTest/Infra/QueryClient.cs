using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using HdrHistogram;

namespace Personalization.LoadTest.Infra;

/// <summary>
/// The open-loop query client, run in a process of its own like a real product surface (<c>query-client</c> verb):
/// requests start on a fixed schedule whatever the server does, latency is completion − scheduled start (no
/// coordinated omission), recorded in an HdrHistogram (µs). Prints one JSON line: <see cref="QueryClientResult"/>.
/// </summary>
public static class QueryClient
{
    public static async Task<int> RunAsync(string[] args)
    {
        string Arg(string name) => args[Array.IndexOf(args, name) + 1];
        var url = Arg("--url");
        var rate = double.Parse(Arg("--rate"), CultureInfo.InvariantCulture);
        var seconds = double.Parse(Arg("--seconds"), CultureInfo.InvariantCulture);
        var users = int.Parse(Arg("--users"), CultureInfo.InvariantCulture);
        var result = await RunAsync(url, rate, TimeSpan.FromSeconds(seconds), users);
        Console.WriteLine(JsonSerializer.Serialize(result));
        return 0;
    }

    public static async Task<QueryClientResult> RunAsync(string baseAddress, double rate, TimeSpan duration, int users)
    {
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 1024, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1) };
        using var client = new HttpClient(handler) { BaseAddress = new Uri(baseAddress), Timeout = TimeSpan.FromSeconds(30) };
        var histogram = new LongConcurrentHistogram(1, 60_000_000, 3);
        long rejected = 0, failed = 0, degraded = 0;
        var random = new Random(5);
        await Task.WhenAll(Enumerable.Range(0, 64).Select(i => client.GetAsync($"/users/u{i}/recommendations?k=10"))); // connections
        var total = (long)(rate * duration.TotalSeconds);
        var tasks = new Task[total];
        var ticksPerRequest = Stopwatch.Frequency / rate;
        var start = Stopwatch.GetTimestamp();
        for (long i = 0; i < total; i++)
        {
            var scheduled = start + (long)(i * ticksPerRequest);
            while (Stopwatch.GetTimestamp() < scheduled)
            {
                var waitMs = (scheduled - Stopwatch.GetTimestamp()) * 1000 / Stopwatch.Frequency;
                if (waitMs > 1) await Task.Delay((int)waitMs - 1);
                else Thread.SpinWait(20);
            }

            var url = $"/users/u{random.Next(users)}/recommendations?k=10";
            tasks[i] = Task.Run(async () =>
            {
                try
                {
                    using var response = await client.GetAsync(url);
                    var body = await response.Content.ReadAsStringAsync();
                    if ((int)response.StatusCode == 429) Interlocked.Increment(ref rejected);
                    else if (!response.IsSuccessStatusCode) Interlocked.Increment(ref failed);
                    else if (body.Contains("\"degraded\":{", StringComparison.Ordinal)) Interlocked.Increment(ref degraded);
                }
                catch (Exception)
                {
                    Interlocked.Increment(ref failed);
                }

                var micros = (Stopwatch.GetTimestamp() - scheduled) * 1_000_000 / Stopwatch.Frequency;
                histogram.RecordValue(Math.Clamp(micros, 1, 60_000_000));
            });
        }

        var issuedIn = Stopwatch.GetElapsedTime(start).TotalSeconds;
        await Task.WhenAll(tasks);
        double P(double p) => Math.Round(histogram.GetValueAtPercentile(p) / 1000.0, 3);
        return new QueryClientResult(rate, total, Math.Round(total / Math.Max(issuedIn, 1e-9)), rejected, failed, degraded,
            P(50), P(90), P(99), P(99.9), Math.Round(histogram.GetMaxValue() / 1000.0, 3));
    }

    /// <summary>Starts the client in a process of its own (workstation GC: a client, not a server) and reads its result.</summary>
    public static async Task<QueryClientResult> RunInOwnProcessAsync(string baseAddress, double rate, TimeSpan duration, int users)
    {
        var self = typeof(QueryClient).Assembly.Location;
        var info = new ProcessStartInfo("dotnet", [self, "query-client", "--url", baseAddress, "--rate", rate.ToString(CultureInfo.InvariantCulture),
            "--seconds", duration.TotalSeconds.ToString(CultureInfo.InvariantCulture), "--users", users.ToString(CultureInfo.InvariantCulture)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.Environment["DOTNET_gcServer"] = "0";
        info.Environment["PZ_LOCK_HELD"] = "1";
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var line = (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault(l => l.StartsWith('{'));
        if (process.ExitCode != 0 || line is null)
            throw new InvalidOperationException($"query client exited {process.ExitCode}: {await stderr}");
        return JsonSerializer.Deserialize<QueryClientResult>(line)!;
    }
}

/// <summary>One open-loop run: target and achieved request rate, outcomes, latency percentiles (ms) from the scheduled start.</summary>
public sealed record QueryClientResult(
    double TargetPerSecond, long Requests, double IssuedPerSecond, long Rejected429, long Failed, long Degraded,
    double P50Ms, double P90Ms, double P99Ms, double P999Ms, double MaxMs);
