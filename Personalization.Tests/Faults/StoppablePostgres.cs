using System.Diagnostics;
using System.Runtime.InteropServices;
using Npgsql;
using Personalization.Node.Local;

namespace Personalization.Tests.Faults;

/// <summary>
/// A throwaway PostgreSQL server (as <see cref="LocalPostgres"/>, which offers no way to break it) that a fault can
/// stop (<c>pg_ctl stop -m fast</c>) and start again on the same port and data, or freeze (SIGSTOP of the postmaster
/// and all its backends: a database that accepts connections and answers nothing) and thaw.
/// </summary>
public sealed class StoppablePostgres : IAsyncDisposable
{
    private readonly string _root;
    private readonly string _dataDir;
    private readonly string? _runAs;

    private StoppablePostgres(string root, int port, string? runAs)
    {
        _root = root;
        _dataDir = Path.Combine(root, "data");
        Port = port;
        _runAs = runAs;
    }

    public int Port { get; }

    public string ConnectionString(string database = "postgres") =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Pooling=true;Maximum Pool Size=20;Timeout=5;Command Timeout=10";

    public static async Task<StoppablePostgres> StartNewAsync()
    {
        var runAs = Environment.UserName == "root" ? "postgres" : null;
        var root = Path.Combine(Path.GetTempPath(), "pz-pgfault-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        if (runAs is not null) await RunAsync("chown", $"{runAs} {root}", null);
        var server = new StoppablePostgres(root, Node.Hosting.FreePorts.Next(), runAs);
        await server.PgAsync("initdb", $"-D {server._dataDir} -U postgres --auth=trust --no-sync -E UTF8");
        await server.StartAsync();
        return server;
    }

    public Task StartAsync() => PgAsync("pg_ctl",
        $"-D {_dataDir} -l {_root}/server.log -w -t 60 -o \"-p {Port} -k {_root} -c listen_addresses=127.0.0.1 -c max_connections=200\" start");

    /// <summary>Fast shutdown: open connections are cut, the port refuses until <see cref="StartAsync"/>.</summary>
    public Task StopAsync() => PgAsync("pg_ctl", $"-D {_dataDir} -m fast -w -t 60 stop");

    /// <summary>SIGSTOP to every server process: connections open, nothing answers (a database stuck on its disk).</summary>
    public void Freeze() => Signal(19);

    public void Thaw() => Signal(18);

    public async Task<string> CreateDatabaseAsync()
    {
        var name = "pz_" + Guid.NewGuid().ToString("N")[..12];
        // Unpooled: a pooled connection would be a dead one after a restart of the server.
        await using var connection = new NpgsqlConnection(ConnectionString() + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await command.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            Thaw(); // a frozen server would not stop
            await PgAsync("pg_ctl", $"-D {_dataDir} -m immediate -w -t 30 stop");
        }
        catch (InvalidOperationException)
        {
            // already stopped
        }
        finally
        {
            try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>The postmaster (first line of postmaster.pid) and every process whose parent it is.</summary>
    private void Signal(int signal)
    {
        var pidFile = Path.Combine(_dataDir, "postmaster.pid");
        if (!File.Exists(pidFile)) return;
        var postmaster = int.Parse(File.ReadLines(pidFile).First().Trim());
        var processes = new List<int> { postmaster };
        foreach (var dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (int.Parse(fields[1]) == postmaster) processes.Add(pid);
            }
            catch (IOException)
            {
                // the process ended meanwhile
            }
        }

        foreach (var pid in processes) kill(pid, signal);
    }

    private Task PgAsync(string tool, string arguments) => RunAsync(Path.Combine(LocalPostgres.BinDirectory, tool), arguments, _runAs);

    private static async Task RunAsync(string file, string arguments, string? runAs)
    {
        var start = runAs is null ? new ProcessStartInfo(file, arguments) : new ProcessStartInfo("runuser", $"-u {runAs} -- {file} {arguments}");
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.WorkingDirectory = Path.GetTempPath();
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{Path.GetFileName(file)} {arguments} exited with {process.ExitCode}: {await stderr}{await stdout}");
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);
}
