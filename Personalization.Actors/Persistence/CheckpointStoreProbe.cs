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

    /// <summary>Runs the query; throws what the database said (or <see cref="OperationCanceledException"/> past the token).</summary>
    public async Task<bool> HasCheckpointsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT count(*) FROM (SELECT 1 FROM {_table} LIMIT 1) AS probe";
        var count = Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
        return count > 0;
    }

    private async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        if (_postgres is not null) return await _postgres.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var builder = new SqliteConnectionStringBuilder(_options.ConnectionString) { Mode = SqliteOpenMode.ReadOnly, Pooling = false };
        var connection = new SqliteConnection(builder.ConnectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        return connection;
    }

    public ValueTask DisposeAsync() => _postgres?.DisposeAsync() ?? ValueTask.CompletedTask;
}
