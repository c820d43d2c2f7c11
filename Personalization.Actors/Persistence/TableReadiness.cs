namespace Personalization.Actors.Persistence;

/// <summary>
/// The checkpoint table exists: created once at start, and created again by the next operation that needs it when
/// that failed. A creation that failed once (the database down or refusing connections while the node started) would
/// otherwise fail every read and write for the life of the process — the journal's circuit breaker then stays open
/// and no user of the node can recover. Transient errors are retried as for reads and writes.
/// </summary>
internal sealed class TableReadiness(Func<Task> create, TimeSpan? transientRetryWindow = null)
{
    private readonly Lock _gate = new();
    private readonly TimeSpan _window = transientRetryWindow ?? TransientDatabaseErrors.DefaultWindow;
    private Task? _attempt;

    /// <summary>Completes once the table exists; a failed attempt is not kept: the next caller tries again.</summary>
    public Task WaitAsync()
    {
        lock (_gate)
        {
            if (_attempt is null || _attempt.IsFaulted || _attempt.IsCanceled)
                _attempt = Task.Run(() => TransientDatabaseErrors.RetryAsync(async () =>
                {
                    await create().ConfigureAwait(false);
                    return true;
                }, _window));
            return _attempt;
        }
    }
}
