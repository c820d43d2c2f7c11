using System.Collections.Concurrent;
using System.Threading.Channels;
using Personalization.Actors.Telemetry;

namespace Personalization.Actors.Persistence;

/// <summary>
/// Group commit: checkpoints of many users that arrive while a transaction is being written go together into the next one,
/// so the database sees one transaction per batch instead of one per user. Completes each caller's task with the indexes
/// of its rows that were stale (not written), or faults it with the database's error.
/// </summary>
internal sealed class GroupCommitWriter : IAsyncDisposable
{
    private readonly Channel<PendingWrite> _queue = Channel.CreateUnbounded<PendingWrite>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<string, Task> _inFlight = new();
    private readonly ICheckpointTable _table;
    private readonly Func<Task> _ready;
    private readonly int _maxBatchRows;
    private readonly Task _loop;
    private readonly TimeSpan _transientRetryWindow;

    /// <param name="transientRetryWindow">
    /// How long a batch that fails with a transient database error (connection refused or cut, server restarting,
    /// timeout) is tried again before its writes fail; default 45 s, below the journal's circuit-breaker call-timeout
    /// (60 s, CheckpointStoreHostingExtensions), so a database restart is ridden out instead of failing checkpoints.
    /// </param>
    public GroupCommitWriter(ICheckpointTable table, Func<Task> ready, int maxBatchRows, TimeSpan? transientRetryWindow = null)
    {
        _table = table;
        _ready = ready;
        _maxBatchRows = maxBatchRows;
        _transientRetryWindow = transientRetryWindow ?? TransientDatabaseErrors.DefaultWindow;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Queues the rows (in order); the task ends once they are committed.</summary>
    public Task<IReadOnlyCollection<int>> WriteAsync(CheckpointRow[] rows)
    {
        var pending = new PendingWrite(rows);
        foreach (var row in rows) _inFlight[row.PersistenceId] = pending.Done.Task;
        if (!_queue.Writer.TryWrite(pending)) pending.Done.TrySetException(new InvalidOperationException("the checkpoint journal is shutting down"));
        return pending.Done.Task;
    }

    /// <summary>Queues a deletion behind the writes already queued (the writer owns the connection).</summary>
    public Task DeleteToAsync(string persistenceId, long toSequenceNr)
    {
        var pending = new PendingWrite([]) { Delete = (persistenceId, toSequenceNr) };
        if (!_queue.Writer.TryWrite(pending)) pending.Done.TrySetException(new InvalidOperationException("the checkpoint journal is shutting down"));
        return pending.Done.Task;
    }

    /// <summary>A write of this id still on its way: a recovery must not read past it (it would reuse sequence numbers).</summary>
    public Task WhenWritten(string persistenceId) =>
        _inFlight.TryGetValue(persistenceId, out var task) ? task.ContinueWith(static _ => { }, TaskScheduler.Default) : Task.CompletedTask;

    private async Task RunAsync()
    {
        var taken = new List<PendingWrite>();
        var batch = new List<PendingWrite>();
        var rows = new List<CheckpointRow>();
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            taken.Clear();
            var count = 0;
            while (count < _maxBatchRows && _queue.Reader.TryRead(out var next))
            {
                taken.Add(next);
                count += next.Rows.Length;
            }

            try
            {
                await _ready().ConfigureAwait(false);
            }
            catch (Exception e)
            {
                foreach (var pending in taken) Fail(pending, e);
                continue;
            }

            // Consecutive writes share one transaction; a deletion runs in its place in the order.
            foreach (var pending in taken)
            {
                if (pending.Delete is not { } delete)
                {
                    batch.Add(pending);
                    rows.AddRange(pending.Rows);
                    continue;
                }

                await CommitAsync(batch, rows).ConfigureAwait(false);
                try
                {
                    await _table.DeleteToAsync(delete.PersistenceId, delete.ToSequenceNr, CancellationToken.None).ConfigureAwait(false);
                    pending.Done.TrySetResult([]);
                }
                catch (Exception e)
                {
                    pending.Done.TrySetException(e);
                }
            }

            await CommitAsync(batch, rows).ConfigureAwait(false);
        }
    }

    private async Task CommitAsync(List<PendingWrite> batch, List<CheckpointRow> rows)
    {
        if (batch.Count == 0) return;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            var stale = await UpsertRetryingTransientAsync(rows).ConfigureAwait(false);
            EngineMetrics.CheckpointWriteSeconds.Observe(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds);
            EngineMetrics.CheckpointBatchRows.Observe(rows.Count);
            var offset = 0;
            foreach (var pending in batch)
            {
                var mine = stale.Count == 0 ? [] : stale.Where(i => i >= offset && i < offset + pending.Rows.Length).Select(i => i - offset).ToArray();
                offset += pending.Rows.Length;
                Complete(pending, mine);
            }
        }
        catch (Exception e)
        {
            EngineMetrics.CheckpointWriteFailures.Inc();
            foreach (var pending in batch) Fail(pending, e);
        }

        batch.Clear();
        rows.Clear();
    }

    /// <summary>
    /// Transient errors are retried with the whole batch, in order (<see cref="TransientDatabaseErrors"/>); the writes
    /// behind it wait, their users' acknowledgements wait. Other errors fail the batch at once.
    /// </summary>
    private Task<IReadOnlyCollection<int>> UpsertRetryingTransientAsync(List<CheckpointRow> rows) =>
        TransientDatabaseErrors.RetryAsync(() => UpsertLatestAsync(rows), _transientRetryWindow, EngineMetrics.CheckpointWriteRetries);

    /// <summary>
    /// Writes only the last row of each id in the batch: the earlier ones are superseded in the same transaction (a
    /// checkpoint contains the ones before it), and the rounds an id written twice would cost are saved (1,000 actors
    /// with 40 PersistAsync each: 5.8k rows/s on PostgreSQL before). A superseded row shares the outcome of its last.
    /// </summary>
    private async Task<IReadOnlyCollection<int>> UpsertLatestAsync(List<CheckpointRow> rows)
    {
        var last = new Dictionary<string, int>(rows.Count);
        for (var i = 0; i < rows.Count; i++) last[rows[i].PersistenceId] = i;
        if (last.Count == rows.Count) return await _table.UpsertAsync(rows, CancellationToken.None).ConfigureAwait(false);

        var kept = new List<CheckpointRow>(last.Count);
        var keptIndex = new Dictionary<string, int>(last.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            if (last[rows[i].PersistenceId] != i) continue;
            keptIndex[rows[i].PersistenceId] = kept.Count;
            kept.Add(rows[i]);
        }

        var staleKept = await _table.UpsertAsync(kept, CancellationToken.None).ConfigureAwait(false);
        if (staleKept.Count == 0) return [];
        var staleSet = staleKept.ToHashSet();
        return Enumerable.Range(0, rows.Count).Where(i => staleSet.Contains(keptIndex[rows[i].PersistenceId])).ToArray();
    }

    private void Complete(PendingWrite pending, IReadOnlyCollection<int> stale)
    {
        pending.Done.TrySetResult(stale);
        Forget(pending);
    }

    private void Fail(PendingWrite pending, Exception e)
    {
        pending.Done.TrySetException(e);
        Forget(pending);
    }

    private void Forget(PendingWrite pending)
    {
        foreach (var row in pending.Rows) _inFlight.TryRemove(new KeyValuePair<string, Task>(row.PersistenceId, pending.Done.Task));
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
    }

    private sealed class PendingWrite(CheckpointRow[] rows)
    {
        public CheckpointRow[] Rows { get; } = rows;

        public (string PersistenceId, long ToSequenceNr)? Delete { get; init; }

        public TaskCompletionSource<IReadOnlyCollection<int>> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
