using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Personalization.Node.Hosting;
using Personalization.Tests.Infrastructure;

namespace Personalization.Tests.Monitoring;

/// <summary>
/// Debian's real Prometheus (/usr/bin/prometheus) in a temporary folder on a free loopback port, scraping the given
/// targets every second and evaluating the given rule files every second. Stopped (killed) and its folder removed on
/// dispose; its output is kept for failure messages.
/// </summary>
public sealed class PrometheusServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _folder;
    private readonly StringBuilder _log = new();

    private PrometheusServer(Process process, string folder, int port)
    {
        _process = process;
        _folder = folder;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(10) };
        process.OutputDataReceived += (_, e) => Capture(e.Data);
        process.ErrorDataReceived += (_, e) => Capture(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public HttpClient Http { get; }

    public string Log
    {
        get { lock (_log) return _log.ToString(); }
    }

    private void Capture(string? line)
    {
        if (line is null) return;
        lock (_log) _log.AppendLine(line);
    }

    public static async Task<PrometheusServer> StartAsync(IEnumerable<string> targets, IEnumerable<string> ruleFiles)
    {
        MonitoringFiles.RequireBinary(MonitoringFiles.Prometheus);
        var folder = Directory.CreateTempSubdirectory("pz-prometheus-").FullName;
        var port = FreePorts.Next();
        var config = new StringBuilder("""
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
              evaluation_interval: 1s
            scrape_configs:
              - job_name: personalization
                metrics_path: /metrics
                static_configs:
                  - targets: [
            """);
        config.Append(string.Join(", ", targets.Select(t => $"'{t}'"))).Append("]\n");
        config.Append("rule_files:\n");
        foreach (var file in ruleFiles) config.Append("  - '").Append(file).Append("'\n");
        var configPath = Path.Combine(folder, "prometheus.yml");
        await File.WriteAllTextAsync(configPath, config.ToString());

        var start = new ProcessStartInfo(MonitoringFiles.Prometheus)
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
                 {
                     $"--config.file={configPath}", $"--storage.tsdb.path={Path.Combine(folder, "data")}",
                     $"--web.listen-address=127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}", "--storage.tsdb.retention.time=1h",
                 })
            start.ArgumentList.Add(argument);
        var server = new PrometheusServer(Process.Start(start)!, folder, port);
        try
        {
            await server.WaitUntilReadyAsync(TimeSpan.FromSeconds(60));
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    private async Task WaitUntilReadyAsync(TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (_process.HasExited) throw new InvalidOperationException($"prometheus exited with code {_process.ExitCode}:\n{Log}");
            try
            {
                if ((await Http.GetAsync("-/ready")).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"prometheus was not ready within {timeout.TotalSeconds} s:\n{Log}");
    }

    /// <summary>GET /api/v1/{path}: the <c>data</c> of a successful answer, else an exception with Prometheus' error.</summary>
    public async Task<JsonElement> ApiAsync(string pathAndQuery)
    {
        using var response = await Http.GetAsync("api/v1/" + pathAndQuery);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        if (body.GetProperty("status").GetString() != "success")
            throw new InvalidOperationException($"{pathAndQuery}: {body.GetProperty("errorType").GetString()}: {body.GetProperty("error").GetString()}");
        return body.GetProperty("data");
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException)
        {
            // gone already
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
