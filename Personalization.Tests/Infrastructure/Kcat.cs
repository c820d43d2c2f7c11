using System.Diagnostics;

namespace Personalization.Tests.Infrastructure;

/// <summary>Debian's kcat: an independent Kafka client (librdkafka's own CLI) to check that we speak real Kafka.</summary>
public static class Kcat
{
    public const string Path = "/usr/bin/kcat";

    /// <summary>Produces `key:value` lines, partitioned like Java clients (murmur2), as every producer of ours must be.</summary>
    public static async Task ProduceAsync(string bootstrap, string topic, string keyedLines)
    {
        var (code, _, error) = await RunAsync($"-P -b {bootstrap} -t {topic} -K: -X topic.partitioner=murmur2_random", keyedLines);
        if (code != 0) throw new InvalidOperationException($"kcat produce failed ({code}): {error}");
    }

    /// <summary>Reads a topic from the start until <paramref name="expected"/> records came; each as "headers|value".</summary>
    public static async Task<List<string>> ConsumeAsync(string bootstrap, string topic, int expected)
    {
        var (code, output, error) = await RunAsync($"-C -b {bootstrap} -t {topic} -o beginning -c {expected} -f %h|%s\\n", null, TimeSpan.FromSeconds(30));
        if (code != 0) throw new InvalidOperationException($"kcat consume failed ({code}): {error}");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
    }

    public static async Task<(int Code, string Output, string Error)> RunAsync(string arguments, string? input, TimeSpan? timeout = null)
    {
        if (!File.Exists(Path)) throw new InvalidOperationException("kcat is not installed: apt-get install kcat (test.sh does it)");
        var start = new ProcessStartInfo(Path, arguments)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (input is not null) await process.StandardInput.WriteAsync(input);
        process.StandardInput.Close();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw new TimeoutException($"kcat {arguments} did not finish in time: {await error}");
        }

        return (process.ExitCode, await output, await error);
    }
}
