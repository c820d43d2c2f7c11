using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Personalization.Node.Hosting;
using Personalization.Node.Local;

namespace Personalization.Tests.Infrastructure;

/// <summary>
/// `personalization local-cluster` as an operating-system process, with a temporary folder of its own as TMPDIR (its
/// PostgreSQL data folder and broker address file land there), and everything it started found again by parent id.
/// Disposing kills whatever is left and removes the folder, so a failed test leaves nothing running.
/// </summary>
public sealed class LocalClusterProcess : IAsyncDisposable
{
    public const int SIGINT = 2;
    public const int SIGTERM = 15;

    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private LocalClusterProcess(Process process, string tempFolder)
    {
        _process = process;
        TempFolder = tempFolder;
        process.OutputDataReceived += (_, e) => Capture(e.Data);
        process.ErrorDataReceived += (_, e) => Capture(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>The process's TMPDIR.</summary>
    public string TempFolder { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    /// <summary>
    /// Starts it and waits until it reports every node up. SIGINT is reset to its default disposition (env
    /// --default-signal): a test host started in the background ignores SIGINT, and children inherit that.
    /// </summary>
    public static async Task<LocalClusterProcess> StartAsync(string arguments, TimeSpan readyTimeout)
    {
        var tempFolder = Directory.CreateTempSubdirectory("pz-local-cluster-").FullName;
        // Created 0700; the PostgreSQL server runs as "postgres" when the tests run as root and must reach its folder below.
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(tempFolder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        var self = LocalNodeProcess.SelfCommand($"local-cluster {arguments}");
        var start = new ProcessStartInfo("env", $"--default-signal=INT \"{self.FileName}\" {self.Arguments}")
        {
            WorkingDirectory = self.WorkingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["TMPDIR"] = tempFolder;
        var cluster = new LocalClusterProcess(Process.Start(start)!, tempFolder);
        try
        {
            var deadline = DateTime.UtcNow + readyTimeout;
            while (!cluster.Output.Contains("Any node answers", StringComparison.Ordinal))
            {
                if (cluster.HasExited) throw new InvalidOperationException($"local-cluster exited with {cluster.ExitCode} before it was up:\n{cluster.Output}");
                if (DateTime.UtcNow > deadline) throw new TimeoutException($"local-cluster not up after {readyTimeout.TotalSeconds} s:\n{cluster.Output}");
                await Task.Delay(200);
            }

            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private void Capture(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    public void Signal(int signal)
    {
        if (kill(_process.Id, signal) != 0) throw new InvalidOperationException($"could not signal local-cluster ({Marshal.GetLastPInvokeError()})");
    }

    /// <summary>Waits for the exit; false if it is still running after <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Processes whose command line names the temporary folder (PostgreSQL is started in a session of its own, not as a child).</summary>
    public List<ProcessIdentity> ProcessesUsingTempFolder() => ProcessTree.WithCommandLineContaining(TempFolder);

    public async ValueTask DisposeAsync()
    {
        var leftovers = ProcessTree.Descendants(_process.Id);
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        foreach (var child in leftovers.Where(c => c.IsRunning)) kill(child.Id, 9);
        foreach (var folder in Directory.Exists(TempFolder) ? Directory.GetDirectories(TempFolder, "pz-pg-*") : [])
            await StopLeftoverPostgresAsync(Path.Combine(folder, "data"));
        foreach (var server in ProcessesUsingTempFolder()) kill(server.Id, 9);
        _process.Dispose();
        try { Directory.Delete(TempFolder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>A server a failed local-cluster left behind: immediate stop (its data is thrown away anyway).</summary>
    private static async Task StopLeftoverPostgresAsync(string dataFolder)
    {
        if (!File.Exists(Path.Combine(dataFolder, "postmaster.pid"))) return;
        var pgCtl = Path.Combine(LocalPostgres.BinDirectory, "pg_ctl");
        var start = Environment.UserName == "root"
            ? new ProcessStartInfo("runuser", $"-u postgres -- {pgCtl} -D {dataFolder} -m immediate -w -t 10 stop")
            : new ProcessStartInfo(pgCtl, $"-D {dataFolder} -m immediate -w -t 10 stop");
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        using var process = Process.Start(start)!;
        await process.WaitForExitAsync();
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);
}
