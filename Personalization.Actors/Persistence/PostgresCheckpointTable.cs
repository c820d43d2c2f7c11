using Npgsql;
using NpgsqlTypes;

namespace Personalization.Actors.Persistence;

/// <summary>
/// <see cref="ICheckpointTable"/> on PostgreSQL: a batch of checkpoints is one <c>INSERT … SELECT FROM unnest(…) ON CONFLICT
/// DO UPDATE</c> (one round trip for hundreds of users), a batch of recoveries one <c>WHERE persistence_id = ANY(…)</c>.
/// </summary>
public sealed class PostgresCheckpointTable(string connectionString, string table) : ICheckpointTable
{
    private readonly string _table = CheckpointTableName.Validate(table);
    private readonly NpgsqlDataSource _dataSource = NpgsqlDataSource.Create(connectionString);

    public async Task EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var create = connection.CreateCommand();
        create.CommandText = $"""
            CREATE TABLE IF NOT EXISTS {_table} (
                persistence_id text NOT NULL PRIMARY KEY,
                sequence_nr bigint NOT NULL,
                serializer_id integer NOT NULL,
                manifest text NOT NULL,
                payload bytea,
                written_at bigint NOT NULL
            )
            """;
        try
        {
            await create.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DuplicateTable)
        {
            // Two nodes created it at the same moment (IF NOT EXISTS is not atomic in the catalog): it exists.
        }
    }

    public async Task<IReadOnlyCollection<int>> UpsertAsync(IReadOnlyList<CheckpointRow> rows, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        List<int>? stale = null;
        // ON CONFLICT may touch a row once per statement: a user written twice in the batch goes into a second round.
        var start = 0;
        while (start < rows.Count)
        {
            var ids = new HashSet<string>();
            var end = start;
            while (end < rows.Count && ids.Add(rows[end].PersistenceId)) end++;
            var written = await UpsertRoundAsync(connection, transaction, rows, start, end, cancellationToken);
            for (var i = start; i < end; i++)
                if (!written.Contains(rows[i].PersistenceId)) (stale ??= []).Add(i);
            start = end;
        }

        await transaction.CommitAsync(cancellationToken);
        return stale ?? (IReadOnlyCollection<int>)[];
    }

    private async Task<HashSet<string>> UpsertRoundAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<CheckpointRow> rows, int start, int end, CancellationToken cancellationToken)
    {
        var n = end - start;
        var ids = new string[n];
        var seqs = new long[n];
        var serializers = new int[n];
        var manifests = new string[n];
        var payloads = new byte[]?[n];
        var at = new long[n];
        for (var i = 0; i < n; i++)
        {
            var row = rows[start + i];
            (ids[i], seqs[i], serializers[i], manifests[i], payloads[i], at[i]) =
                (row.PersistenceId, row.SequenceNr, row.SerializerId, row.Manifest, row.Payload, row.WrittenAt);
        }

        await using var upsert = new NpgsqlCommand(
            $"""
             INSERT INTO {_table} (persistence_id, sequence_nr, serializer_id, manifest, payload, written_at)
             SELECT * FROM unnest(@ids, @seqs, @serializers, @manifests, @payloads, @at)
             ON CONFLICT (persistence_id) DO UPDATE SET
                 sequence_nr = excluded.sequence_nr, serializer_id = excluded.serializer_id, manifest = excluded.manifest,
                 payload = excluded.payload, written_at = excluded.written_at
             WHERE excluded.sequence_nr > {_table}.sequence_nr
             RETURNING persistence_id
             """,
            connection,
            transaction);
        upsert.Parameters.Add(new NpgsqlParameter("ids", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = ids });
        upsert.Parameters.Add(new NpgsqlParameter("seqs", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = seqs });
        upsert.Parameters.Add(new NpgsqlParameter("serializers", NpgsqlDbType.Array | NpgsqlDbType.Integer) { Value = serializers });
        upsert.Parameters.Add(new NpgsqlParameter("manifests", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = manifests });
        upsert.Parameters.Add(new NpgsqlParameter("payloads", NpgsqlDbType.Array | NpgsqlDbType.Bytea) { Value = payloads });
        upsert.Parameters.Add(new NpgsqlParameter("at", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = at });
        var written = new HashSet<string>(n);
        await using var reader = await upsert.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) written.Add(reader.GetString(0));
        return written;
    }

    public async Task<IReadOnlyDictionary<string, CheckpointRow>> ReadAsync(IReadOnlyCollection<string> persistenceIds, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var select = new NpgsqlCommand(
            $"SELECT persistence_id, sequence_nr, serializer_id, manifest, payload, written_at FROM {_table} WHERE persistence_id = ANY(@ids)",
            connection);
        select.Parameters.Add(new NpgsqlParameter("ids", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = persistenceIds.ToArray() });
        var found = new Dictionary<string, CheckpointRow>(persistenceIds.Count);
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var id = reader.GetString(0);
            found[id] = new CheckpointRow(
                id, reader.GetInt64(1), reader.GetInt32(2), reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetFieldValue<byte[]>(4), reader.GetInt64(5));
        }

        return found;
    }

    public async Task DeleteToAsync(string persistenceId, long toSequenceNr, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var delete = new NpgsqlCommand($"UPDATE {_table} SET payload = NULL WHERE persistence_id = @id AND sequence_nr <= @to", connection);
        delete.Parameters.AddWithValue("id", persistenceId);
        delete.Parameters.AddWithValue("to", toSequenceNr);
        await delete.ExecuteNonQueryAsync(cancellationToken);
    }

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
