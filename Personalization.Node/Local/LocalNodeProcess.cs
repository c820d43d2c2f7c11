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

    /// <summary>0 after a clean shutdown; <see cref="Hosting.ShutdownBudget.OverrunExitCode"/> when the node overran its budget.</summary>
    public int ExitCode => _process.ExitCode;

    public string Log
    {
        get { lock (_log) return _log.ToString(); }
    }

    /// <summary>The operating system's process id.</summary>
    public int Id => _process.Id;

    /// <summary>
    /// Starts `personalization run` with the node's environment and waits until /healthz/ready says so; a node that
    /// does not get ready (or a cancelled start) is killed, never left behind.
    /// </summary>
    /// <param name="ownProcessGroup">In a session of its own, so a terminal's Ctrl+C reaches only the caller, which
    /// stops its nodes in order (`local-cluster`).</param>
    /// <param name="environment">More variables beyond the node's settings (e.g. <c>Logging__Format</c>, <c>OTEL_*</c>).</param>
    public static async Task<LocalNodeProcess> StartAsync(string name, NodeOptions options, TimeSpan readyTimeout, Action<string>? echo = null,
        bool ownProcessGroup = false, CancellationToken cancellationToken = default, IReadOnlyDictionary<string, string>? environment = null)
    {
        if (options.Http.Port == 0) options.Http.Port = FreePorts.Next();
        var start = SelfCommand("run", ownProcessGroup);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        foreach (var (key, value) in NodeEnvironment.From(options)) start.Environment[key] = value;
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) start.Environment[key] = value;
        var node = new LocalNodeProcess(Process.Start(start)!, name, options.Http.Port, echo);
        try
        {
            await node.WaitUntilReadyAsync(readyTimeout, cancellationToken);
            return node;
        }
        catch
        {
            await node.DisposeAsync();
            throw;
        }
    }

    /// <summary>This very program with other arguments (works under `dotnet run`, `dotnet personalization.dll` and the apphost).</summary>
    /// <param name="ownProcessGroup">Started through setsid(1), which calls setsid() and execs: same process id, own
    /// session and process group.</param>
    public static ProcessStartInfo SelfCommand(string arguments, bool ownProcessGroup = false)
    {
        var host = Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
        var dll = Path.Combine(AppContext.BaseDirectory, "personalization.dll");
        var command = $"\"{dll}\" {arguments}";
        var setsid = ownProcessGroup ? new[] { "/usr/bin/setsid", "/bin/setsid" }.FirstOrDefault(File.Exists) : null;
        return new ProcessStartInfo(setsid ?? host, setsid is null ? command : $"\"{host}\" {command}")
        {
            WorkingDirectory = AppContext.BaseDirectory,
        };
    }

    public async Task WaitUntilReadyAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_process.HasExited) throw new InvalidOperationException($"node {Name} exited with {_process.ExitCode}:\n{Log}");
            try
            {
                if ((await Http.GetAsync("/healthz/ready", cancellationToken)).StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }

            await Task.Delay(200, cancellationToken);
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

    /// <summary>
    /// SIGTERM, then SIGKILL if the node is still running after <paramref name="budget"/>. Never throws; says how
    /// long the node took and whether it had to be killed.
    /// </summary>
    public async Task<(TimeSpan Elapsed, bool Killed)> TerminateAsync(TimeSpan budget)
    {
        var started = Stopwatch.GetTimestamp();
        if (_process.HasExited) return (TimeSpan.Zero, false);
        kill(_process.Id, 15);
        using var cts = new CancellationTokenSource(budget);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return (Stopwatch.GetElapsedTime(started), false);
        }
        catch (OperationCanceledException)
        {
            await KillAsync();
            return (Stopwatch.GetElapsedTime(started), true);
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
