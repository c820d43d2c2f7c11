using System.Collections.Concurrent;
using System.Collections.Immutable;
using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Akka.Persistence.Journal;
using Akka.Serialization;

namespace Personalization.Actors.Persistence;

/// <summary>
/// An Akka.Persistence journal for streams whose every event is a complete checkpoint of the actor's state: it keeps
/// the latest event per persistence id (one upserted row) instead of the history, so a recovery is one row and the
/// snapshot-then-delete cycle that keeps an append-only journal small is not needed. Writes from all actors are group
/// committed (<see cref="GroupCommitWriter"/>), recoveries read in batches (<see cref="BatchedReader"/>).
/// <para>Contract, beyond the journal's: replay yields at most one event, the latest written; of an atomic write of
/// several events only the last is kept. Sequence numbers never go back, also after a deletion (the row keeps it).</para>
/// </summary>
public sealed class CheckpointJournal : AsyncWriteJournal
{
    /// <summary>HOCON path of the plugin (set as <c>akka.persistence.journal.plugin</c> by the hosting extension).</summary>
    public const string PluginId = "akka.persistence.journal.checkpoint";

    /// <summary>The table the journal keeps its rows in unless <c>table-name</c> says otherwise.</summary>
    public const string DefaultTable = "user_checkpoints";

    private readonly ICheckpointTable _table;
    private readonly GroupCommitWriter _writer;
    private readonly BatchedReader _reader;
    private readonly Akka.Serialization.Serialization _serialization;
    // The row read for the highest sequence number is the row the replay that follows needs: read once.
    private readonly ConcurrentDictionary<string, CheckpointRow> _readForReplay = new();

    public CheckpointJournal(Config config)
    {
        var provider = config.GetString("provider", "sqlite");
        var connectionString = config.GetString("connection-string")
            ?? throw new ConfigurationException($"{PluginId}.connection-string is not set");
        var tableName = config.GetString("table-name", DefaultTable);
        _table = provider switch
        {
            "sqlite" => new SqliteCheckpointTable(connectionString, tableName),
            "postgresql" => new PostgresCheckpointTable(connectionString, tableName),
            _ => throw new ConfigurationException($"{PluginId}.provider \"{provider}\" is unknown: use sqlite or postgresql"),
        };
        var table = new TableReadiness(() => _table.EnsureCreatedAsync(CancellationToken.None));
        var ready = table.WaitAsync;
        _ = ready(); // created at start, not at the first recovery
        _writer = new GroupCommitWriter(_table, ready, config.GetInt("max-batch-rows", 4000));
        _reader = new BatchedReader(_table, ready, config.GetInt("max-batch-reads", 500));
        _serialization = Context.System.Serialization;
    }

    protected override Task<IImmutableList<Exception?>> WriteMessagesAsync(IEnumerable<AtomicWrite> messages, CancellationToken cancellationToken)
    {
        var writes = messages as IReadOnlyList<AtomicWrite> ?? messages.ToList();
        var rows = new CheckpointRow[writes.Count];
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        for (var i = 0; i < writes.Count; i++)
        {
            var latest = ((IImmutableList<IPersistentRepresentation>)writes[i].Payload)[^1];
            var payload = latest.Payload;
            var serializer = _serialization.FindSerializerFor(payload);
            rows[i] = new CheckpointRow(
                latest.PersistenceId, latest.SequenceNr, serializer.Identifier, Akka.Serialization.Serialization.ManifestFor(serializer, payload),
                serializer.ToBinary(payload), now);
        }

        return _writer.WriteAsync(rows).ContinueWith(
            static (t, state) =>
            {
                var ids = (CheckpointRow[])state!;
                var stale = t.Result;
                if (stale.Count == 0) return (IImmutableList<Exception?>)null!;
                var results = ImmutableList.CreateBuilder<Exception?>();
                for (var i = 0; i < ids.Length; i++)
                    results.Add(stale.Contains(i)
                        ? new InvalidOperationException($"checkpoint {ids[i].SequenceNr} of {ids[i].PersistenceId} is older than the stored one (two writers?)")
                        : null);
                return results.ToImmutable();
            },
            rows,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    protected override Task DeleteMessagesToAsync(string persistenceId, long toSequenceNr, CancellationToken cancellationToken) =>
        _writer.DeleteToAsync(persistenceId, toSequenceNr);

    public override async Task<long> ReadHighestSequenceNrAsync(string persistenceId, long fromSequenceNr, CancellationToken cancellationToken)
    {
        await _writer.WhenWritten(persistenceId).ConfigureAwait(false);
        var row = await _reader.ReadAsync(persistenceId).ConfigureAwait(false);
        if (row is null) return 0;
        // Kept only when a replay will follow (AsyncWriteJournal replays when highest > from): it removes the entry.
        if (!row.IsDeleted && row.SequenceNr > fromSequenceNr)
        {
            if (_readForReplay.Count > 10_000) _readForReplay.Clear();
            _readForReplay[persistenceId] = row;
        }

        return row.SequenceNr;
    }

    public override async Task ReplayMessagesAsync(
        IActorContext context, string persistenceId, long fromSequenceNr, long toSequenceNr, long max, Action<IPersistentRepresentation> recoveryCallback)
    {
        if (!_readForReplay.TryRemove(persistenceId, out var row))
            row = await _reader.ReadAsync(persistenceId).ConfigureAwait(false);
        if (row is not { IsDeleted: false } || max <= 0 || row.SequenceNr < fromSequenceNr || row.SequenceNr > toSequenceNr) return;
        var payload = _serialization.Deserialize(row.Payload!, row.SerializerId, row.Manifest);
        recoveryCallback(new Persistent(payload, row.SequenceNr, persistenceId, string.Empty, false, ActorRefs.NoSender));
    }

    protected override void PostStop()
    {
        // Writes still queued were never acknowledged to their actors: Kafka redelivers what they covered.
        _ = ShutdownAsync();
        base.PostStop();
    }

    private async Task ShutdownAsync()
    {
        await _writer.DisposeAsync().ConfigureAwait(false);
        await _reader.DisposeAsync().ConfigureAwait(false);
        await _table.DisposeAsync().ConfigureAwait(false);
    }
}
