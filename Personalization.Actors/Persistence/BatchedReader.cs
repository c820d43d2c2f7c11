using System.Threading.Channels;
using Personalization.Actors.Telemetry;

namespace Personalization.Actors.Persistence;

/// <summary>
/// Recoveries come in bursts (a partition assigned, a backlog of users new to the node): the reads waiting while one
/// query runs go together into the next, one round trip for many users. A batch that fails with a transient error is
/// read again for up to the retry window (<see cref="TransientDatabaseErrors"/>): users that first appear while the
/// database is down wait for it instead of failing their recovery (which would stop them and leave their events to
/// the partition's redelivery timeout).
/// </summary>
internal sealed class BatchedReader : IAsyncDisposable
{
    private readonly Channel<PendingRead> _queue = Channel.CreateUnbounded<PendingRead>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ICheckpointTable _table;
    private readonly Func<Task> _ready;
    private readonly int _maxBatch;
    private readonly Task _loop;
    private readonly TimeSpan _transientRetryWindow;

    public BatchedReader(ICheckpointTable table, Func<Task> ready, int maxBatch, TimeSpan? transientRetryWindow = null)
    {
        _table = table;
        _ready = ready;
        _maxBatch = maxBatch;
        _transientRetryWindow = transientRetryWindow ?? TransientDatabaseErrors.DefaultWindow;
        _loop = Task.Run(RunAsync);
    }

    public Task<CheckpointRow?> ReadAsync(string persistenceId)
    {
        var pending = new PendingRead(persistenceId);
        if (!_queue.Writer.TryWrite(pending)) pending.Done.TrySetException(new InvalidOperationException("the checkpoint journal is shutting down"));
        return pending.Done.Task;
    }

    private async Task RunAsync()
    {
        var batch = new List<PendingRead>();
        var ids = new HashSet<string>();
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            ids.Clear();
            while (batch.Count < _maxBatch && _queue.Reader.TryRead(out var next))
            {
                batch.Add(next);
                ids.Add(next.PersistenceId);
            }

            try
            {
                await _ready().ConfigureAwait(false);
                var rows = await TransientDatabaseErrors.RetryAsync(
                    () => _table.ReadAsync(ids, CancellationToken.None), _transientRetryWindow, EngineMetrics.CheckpointReadRetries).ConfigureAwait(false);
                foreach (var pending in batch) pending.Done.TrySetResult(rows.GetValueOrDefault(pending.PersistenceId));
            }
            catch (Exception e)
            {
                foreach (var pending in batch) pending.Done.TrySetException(e);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
    }

    private sealed class PendingRead(string persistenceId)
    {
        public string PersistenceId { get; } = persistenceId;

        public TaskCompletionSource<CheckpointRow?> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
