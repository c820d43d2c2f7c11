using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Personalization.Node.Hosting;

namespace Personalization.Tests.Infrastructure;

/// <summary>
/// A node as an operating-system process (`personalization run`), configured only through the environment — the
/// way a pod is — so that it can be killed with SIGKILL like a crashed machine.
/// </summary>
public sealed class NodeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private NodeProcess(Process process, int httpPort)
    {
        _process = process;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}"), Timeout = TimeSpan.FromSeconds(30) };
        process.OutputDataReceived += (_, e) => { lock (_log) _log.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (_log) _log.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public HttpClient Http { get; }

    public string Log
    {
        get { lock (_log) return _log.ToString(); }
    }

    /// <summary>Environment a StatefulSet pod would get, derived from <paramref name="options"/>.</summary>
    public static Dictionary<string, string> Environment(NodeOptions options) => new()
    {
        ["Personalization__Http__Host"] = options.Http.Host,
        ["Personalization__Http__Port"] = options.Http.Port.ToString(),
        ["Personalization__Kafka__BootstrapServers"] = options.Kafka.BootstrapServers,
        ["Personalization__Kafka__Topic"] = options.Kafka.Topic,
        ["Personalization__Kafka__GroupId"] = options.Kafka.GroupId,
        ["Personalization__Kafka__Partitions"] = options.Kafka.Partitions.ToString(),
        ["Personalization__Kafka__SessionTimeoutMs"] = options.Kafka.SessionTimeoutMs.ToString(),
        ["Personalization__Store__Provider"] = options.Store.Provider,
        ["Personalization__Store__ConnectionString"] = options.Store.ConnectionString,
        ["Personalization__Model__Path"] = options.Model.Path,
        ["Personalization__Cluster__Hostname"] = options.Cluster.Hostname,
        ["Personalization__Cluster__Port"] = options.Cluster.Port.ToString(),
        ["Personalization__Cluster__SeedNodes"] = options.Cluster.SeedNodes,
        ["Personalization__Sessions__CheckpointIntervalSeconds"] = options.Sessions.CheckpointIntervalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Personalization__Sessions__CheckpointEveryEvents"] = options.Sessions.CheckpointEveryEvents.ToString(),
        ["Personalization__Sessions__SnapshotEveryCheckpoints"] = options.Sessions.SnapshotEveryCheckpoints.ToString(),
    };

    public static async Task<NodeProcess> StartAsync(NodeOptions options)
    {
        if (options.Http.Port == 0) options.Http.Port = FreePort();
        var dll = Path.Combine(AppContext.BaseDirectory, "personalization.dll");
        var start = new ProcessStartInfo("dotnet", $"\"{dll}\" run")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        foreach (var (key, value) in Environment(options)) start.Environment[key] = value;
        var node = new NodeProcess(Process.Start(start)!, options.Http.Port);
        await node.WaitUntilReadyAsync(TimeSpan.FromSeconds(60));
        return node;
    }

    private async Task WaitUntilReadyAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException($"node exited with {_process.ExitCode}:\n{Log}");
            try
            {
                if ((await Http.GetAsync("/healthz/ready")).StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"node not ready after {timeout.TotalSeconds} s:\n{Log}");
    }

    /// <summary>SIGKILL: no drain, no hand-off, no final checkpoint — a crashed machine.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (!_process.HasExited) await KillAsync();
        _process.Dispose();
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
