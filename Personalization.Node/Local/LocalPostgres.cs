using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Personalization.Node.Local;

/// <summary>
/// A throwaway PostgreSQL server from Debian's binaries (initdb + pg_ctl), on a free loopback port, in a temp folder
/// that is removed on dispose. As root, the server runs as the "postgres" user (PostgreSQL refuses to run as root).
/// </summary>
public sealed class LocalPostgres : IAsyncDisposable
{
    private readonly string _root;
    private readonly string _dataDir;
    private readonly string? _runAs;

    private LocalPostgres(string root, int port, string? runAs)
    {
        _root = root;
        _dataDir = Path.Combine(root, "data");
        Port = port;
        _runAs = runAs;
    }

    public int Port { get; }

    /// <summary>The temporary folder of the server (data, socket, log); removed on dispose.</summary>
    public string Folder => _root;

    public string ConnectionString(string database = "postgres") =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Pooling=true;Maximum Pool Size=20";

    public static string BinDirectory =>
        Environment.GetEnvironmentVariable("PG_BIN") is { Length: > 0 } bin ? bin
        : Directory.Exists("/usr/lib/postgresql") ? Directory.GetDirectories("/usr/lib/postgresql").Order().Last() + "/bin"
        : throw new InvalidOperationException("PostgreSQL binaries not found: install postgresql (Debian) or set PG_BIN to the folder of initdb and pg_ctl");

    /// <param name="serverOptions">Extra server settings, e.g. "-c shared_buffers=256MB" for benchmarks.</param>
    public static async Task<LocalPostgres> StartAsync(string serverOptions = "")
    {
        var runAs = Environment.UserName == "root" ? "postgres" : null;
        var root = Path.Combine(Path.GetTempPath(), "pz-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        if (runAs is not null) await RunAsync("chown", $"{runAs} {root}", null);
        var instance = new LocalPostgres(root, Hosting.FreePorts.Next(), runAs);
        try
        {
            await instance.RunPgAsync("initdb", $"-D {instance._dataDir} -U postgres --auth=trust --no-sync -E UTF8");
            // fsync stays on: the store must be as durable as in production for the persistence tests to mean something.
            await instance.RunPgAsync("pg_ctl", $"-D {instance._dataDir} -l {root}/server.log -w -t 60 -o \"-p {instance.Port} -k {root} -c listen_addresses=127.0.0.1 -c max_connections=200 {serverOptions}\" start");
            return instance;
        }
        catch
        {
            await instance.DisposeAsync();
            throw;
        }
    }

    /// <summary>Creates an empty database (one per test keeps tests independent) and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string name)
    {
        await using var connection = new NpgsqlConnection(ConnectionString());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await command.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    /// <summary>
    /// Stops the server (fast: disconnects clients, writes a shutdown checkpoint; immediate if that fails) and removes
    /// its folder. pg_ctl starts the server in a session of its own, so nothing else stops it.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (File.Exists(Path.Combine(_dataDir, "postmaster.pid")))
            {
                try
                {
                    await RunPgAsync("pg_ctl", $"-D {_dataDir} -m fast -w -t 20 stop");
                }
                catch (InvalidOperationException)
                {
                    await RunPgAsync("pg_ctl", $"-D {_dataDir} -m immediate -w -t 10 stop");
                }
            }
        }
        finally
        {
            try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private Task RunPgAsync(string tool, string arguments) => RunAsync(Path.Combine(BinDirectory, tool), arguments, _runAs);

    private static async Task RunAsync(string file, string arguments, string? runAs)
    {
        var start = runAs is null
            ? new ProcessStartInfo(file, arguments)
            : new ProcessStartInfo("runuser", $"-u {runAs} -- {file} {arguments}");
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.WorkingDirectory = Path.GetTempPath();
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{Path.GetFileName(file)} {arguments} exited with {process.ExitCode}: {await stderr}{await stdout}");
    }

}
