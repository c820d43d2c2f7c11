using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;
using Personalization.Actors.Hosting;

namespace Personalization.Actors.Persistence;

/// <summary>
/// A real query against the checkpoint store, for the node's health: a connection of its own (never the journal's) and
/// <c>SELECT count(*) FROM (SELECT 1 FROM &lt;table&gt; LIMIT 1)</c>, which needs the server to answer and the table to
/// exist, and costs one index probe. SQLite is opened read-only, so a probe never creates the file.
/// </summary>
public sealed class CheckpointStoreProbe : IAsyncDisposable
{
    private readonly CheckpointStoreOptions _options;
    private readonly string _table;
    private readonly NpgsqlDataSource? _postgres;

    public CheckpointStoreProbe(CheckpointStoreOptions options, string table = CheckpointJournal.DefaultTable)
    {
        _options = options;
        _table = CheckpointTableName.Validate(table);
        if (options.Provider == CheckpointStoreProvider.PostgreSql)
        {
            // A pool of its own, one connection: probes never queue behind (or starve) the journal's writes.
            var builder = new NpgsqlConnectionStringBuilder(options.ConnectionString) { MaxPoolSize = 1, MinPoolSize = 0 };
            _postgres = NpgsqlDataSource.Create(builder.ConnectionString);
        }
    }

    public string Provider => _options.Provider == CheckpointStoreProvider.Sqlite ? "sqlite" : "postgresql";

    /// <summary>
    /// Runs the query: what the store holds, or <see cref="ProbeResult.NotCreated"/> while the journal has not created
    /// its table (or, on SQLite, its file) yet — the journal starts with the first user. Throws what the database said
    /// otherwise (or <see cref="OperationCanceledException"/> past the token).
    /// </summary>
    public async Task<ProbeResult> ProbeAsync(CancellationToken cancellationToken)
    {
        if (_postgres is null && SqliteFile() is { } file && !File.Exists(file)) return ProbeResult.NotCreated;
        try
        {
            await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT count(*) FROM (SELECT 1 FROM {_table} LIMIT 1) AS probe";
            var count = Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
            return count > 0 ? ProbeResult.HasCheckpoints : ProbeResult.Empty;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            return ProbeResult.NotCreated;
        }
        catch (SqliteException e) when (e.Message.Contains("no such table", StringComparison.Ordinal))
        {
            return ProbeResult.NotCreated;
        }
    }

    private string? SqliteFile()
    {
        var source = new SqliteConnectionStringBuilder(_options.ConnectionString).DataSource;
        return string.IsNullOrEmpty(source) || source == ":memory:" || source.StartsWith("file:", StringComparison.Ordinal) ? null : Path.GetFullPath(source);
    }

    private async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        if (_postgres is not null) return await _postgres.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var builder = new SqliteConnectionStringBuilder(_options.ConnectionString) { Mode = SqliteOpenMode.ReadOnly, Pooling = false };
        var connection = new SqliteConnection(builder.ConnectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        return connection;
    }

    public enum ProbeResult
    {
        HasCheckpoints,
        Empty,
        NotCreated,
    }

    public ValueTask DisposeAsync() => _postgres?.DisposeAsync() ?? ValueTask.CompletedTask;
}
