using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Personalization.Node.Hosting;

namespace Personalization.Node.Local;

/// <summary>
/// A node as an operating-system process (`personalization run`) configured only through its environment — the way a
/// pod is — that can be stopped with SIGTERM (coordinated shutdown) or killed with SIGKILL (a crashed machine).
/// </summary>
public sealed class LocalNodeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private LocalNodeProcess(Process process, string name, int httpPort, Action<string>? echo)
    {
        _process = process;
        Name = name;
        HttpPort = httpPort;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}"), Timeout = TimeSpan.FromSeconds(30) };
        void Capture(string? line)
        {
            if (line is null) return;
            lock (_log) _log.AppendLine(line);
            echo?.Invoke($"[{name}] {line}");
        }

        process.OutputDataReceived += (_, e) => Capture(e.Data);
        process.ErrorDataReceived += (_, e) => Capture(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Name { get; }

    public int HttpPort { get; }

    public HttpClient Http { get; }

    public bool HasExited => _process.HasExited;

    public string Log
    {
        get { lock (_log) return _log.ToString(); }
    }

    /// <summary>Starts `personalization run` with the node's environment and waits until /healthz/ready says so.</summary>
    public static async Task<LocalNodeProcess> StartAsync(string name, NodeOptions options, TimeSpan readyTimeout, Action<string>? echo = null)
    {
        if (options.Http.Port == 0) options.Http.Port = FreePorts.Next();
        var start = SelfCommand("run");
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        foreach (var (key, value) in NodeEnvironment.From(options)) start.Environment[key] = value;
        var node = new LocalNodeProcess(Process.Start(start)!, name, options.Http.Port, echo);
        await node.WaitUntilReadyAsync(readyTimeout);
        return node;
    }

    /// <summary>This very program with other arguments (works under `dotnet run`, `dotnet personalization.dll` and the apphost).</summary>
    public static ProcessStartInfo SelfCommand(string arguments)
    {
        var host = Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
        var dll = Path.Combine(AppContext.BaseDirectory, "personalization.dll");
        return new ProcessStartInfo(host, $"\"{dll}\" {arguments}")
        {
            WorkingDirectory = AppContext.BaseDirectory,
        };
    }

    public async Task WaitUntilReadyAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException($"node {Name} exited with {_process.ExitCode}:\n{Log}");
            try
            {
                if ((await Http.GetAsync("/healthz/ready")).StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"node {Name} not ready after {timeout.TotalSeconds} s:\n{Log}");
    }

    /// <summary>SIGTERM: coordinated shutdown (drain ingest, hand users off with a checkpoint, leave the cluster).</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        if (_process.HasExited) return;
        if (kill(_process.Id, 15) != 0) throw new InvalidOperationException($"could not signal node {Name}");
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            await KillAsync();
            throw new TimeoutException($"node {Name} did not stop within {timeout.TotalSeconds} s of SIGTERM:\n{Log}");
        }
    }

    /// <summary>SIGKILL: no drain, no hand-off, no last checkpoint.</summary>
    public async Task KillAsync()
    {
        if (_process.HasExited) return;
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await KillAsync();
        _process.Dispose();
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);
}
