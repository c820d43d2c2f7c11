using Microsoft.Data.Sqlite;

namespace Personalization.Actors.Persistence;

/// <summary>
/// <see cref="ICheckpointTable"/> on a SQLite file in WAL mode: one connection that writes (prepared upsert, one
/// transaction per batch), one that reads (WAL readers never wait for the writer).
/// </summary>
public sealed class SqliteCheckpointTable(string connectionString, string table) : ICheckpointTable
{
    private readonly string _table = CheckpointTableName.Validate(table);
    private SqliteConnection? _writer;
    private SqliteConnection? _reader;
    private SqliteCommand? _upsert;
    private SqliteCommand? _select;

    public async Task EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        _writer = await OpenAsync(cancellationToken);
        await using (var create = _writer.CreateCommand())
        {
            create.CommandText = $"""
                PRAGMA journal_mode=WAL;
                PRAGMA synchronous=NORMAL;
                CREATE TABLE IF NOT EXISTS {_table} (
                    persistence_id TEXT NOT NULL PRIMARY KEY,
                    sequence_nr INTEGER NOT NULL,
                    serializer_id INTEGER NOT NULL,
                    manifest TEXT NOT NULL,
                    payload BLOB,
                    written_at INTEGER NOT NULL
                ) WITHOUT ROWID;
                """;
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        _upsert = _writer.CreateCommand();
        _upsert.CommandText = $"""
            INSERT INTO {_table} (persistence_id, sequence_nr, serializer_id, manifest, payload, written_at)
            VALUES ($id, $seq, $serializer, $manifest, $payload, $at)
            ON CONFLICT (persistence_id) DO UPDATE SET
                sequence_nr = excluded.sequence_nr, serializer_id = excluded.serializer_id, manifest = excluded.manifest,
                payload = excluded.payload, written_at = excluded.written_at
            WHERE excluded.sequence_nr > {_table}.sequence_nr
            """;
        foreach (var name in new[] { "$id", "$seq", "$serializer", "$manifest", "$payload", "$at" }) _upsert.Parameters.Add(new SqliteParameter { ParameterName = name });
        _upsert.Prepare();

        _reader = await OpenAsync(cancellationToken);
        _select = _reader.CreateCommand();
        _select.CommandText = $"SELECT sequence_nr, serializer_id, manifest, payload, written_at FROM {_table} WHERE persistence_id = $id";
        _select.Parameters.Add(new SqliteParameter { ParameterName = "$id" });
        _select.Prepare();
    }

    public async Task<IReadOnlyCollection<int>> UpsertAsync(IReadOnlyList<CheckpointRow> rows, CancellationToken cancellationToken)
    {
        var upsert = _upsert ?? throw new InvalidOperationException("EnsureCreatedAsync first");
        List<int>? stale = null;
        await using var transaction = (SqliteTransaction)await _writer!.BeginTransactionAsync(cancellationToken);
        upsert.Transaction = transaction;
        var p = upsert.Parameters;
        for (var i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            p[0].Value = row.PersistenceId;
            p[1].Value = row.SequenceNr;
            p[2].Value = row.SerializerId;
            p[3].Value = row.Manifest;
            p[4].Value = (object?)row.Payload ?? DBNull.Value;
            p[5].Value = row.WrittenAt;
            if (upsert.ExecuteNonQuery() == 0) (stale ??= []).Add(i);
        }

        await transaction.CommitAsync(cancellationToken);
        upsert.Transaction = null;
        return stale ?? (IReadOnlyCollection<int>)[];
    }

    public Task<IReadOnlyDictionary<string, CheckpointRow>> ReadAsync(IReadOnlyCollection<string> persistenceIds, CancellationToken cancellationToken)
    {
        var select = _select ?? throw new InvalidOperationException("EnsureCreatedAsync first");
        var found = new Dictionary<string, CheckpointRow>(persistenceIds.Count);
        foreach (var id in persistenceIds)
        {
            select.Parameters[0].Value = id;
            using var reader = select.ExecuteReader();
            if (!reader.Read()) continue;
            found[id] = new CheckpointRow(
                id, reader.GetInt64(0), reader.GetInt32(1), reader.GetString(2),
                reader.IsDBNull(3) ? null : (byte[])reader.GetValue(3), reader.GetInt64(4));
        }

        return Task.FromResult<IReadOnlyDictionary<string, CheckpointRow>>(found);
    }

    public async Task DeleteToAsync(string persistenceId, long toSequenceNr, CancellationToken cancellationToken)
    {
        await using var delete = _writer!.CreateCommand();
        delete.CommandText = $"UPDATE {_table} SET payload = NULL WHERE persistence_id = $id AND sequence_nr <= $to";
        delete.Parameters.AddWithValue("$id", persistenceId);
        delete.Parameters.AddWithValue("$to", toSequenceNr);
        await delete.ExecuteNonQueryAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var command in new[] { _upsert, _select }) if (command is not null) await command.DisposeAsync();
        foreach (var connection in new[] { _writer, _reader }) if (connection is not null) await connection.DisposeAsync();
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString);
        if (builder.DataSource is { Length: > 0 } path && path != ":memory:")
        {
            var directory = Path.GetDirectoryName(Path.GetFullPath(path));
            if (!string.IsNullOrEmpty(directory)) Directory.CreateDirectory(directory);
        }

        var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }
}
