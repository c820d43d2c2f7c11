using Personalization.Actors.Persistence;
using Xunit;

namespace Personalization.Tests.Persistence;

public sealed class GroupCommitWriterTests
{
    [Fact]
    public async Task Writes_that_arrive_during_a_commit_go_together_into_the_next_one()
    {
        var table = new GatedTable();
        await using var writer = new GroupCommitWriter(table, () => Task.CompletedTask, maxBatchRows: 1000);

        var first = writer.WriteAsync([Row("user-0", 1)]);
        await table.CommitStarted.WaitAsync(TimeSpan.FromSeconds(10));
        var rest = Enumerable.Range(1, 99).Select(i => writer.WriteAsync([Row("user-" + i, 1)])).ToArray();
        table.Release();
        await Task.WhenAll(rest.Append(first)).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal([1, 99], table.BatchSizes);
    }

    [Fact]
    public async Task A_batch_never_exceeds_the_row_limit()
    {
        var table = new GatedTable();
        await using var writer = new GroupCommitWriter(table, () => Task.CompletedTask, maxBatchRows: 10);

        var first = writer.WriteAsync([Row("user-0", 1)]);
        await table.CommitStarted.WaitAsync(TimeSpan.FromSeconds(10));
        var rest = Enumerable.Range(1, 25).Select(i => writer.WriteAsync([Row("user-" + i, 1)])).ToArray();
        table.Release();
        await Task.WhenAll(rest.Append(first)).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal([1, 10, 10, 5], table.BatchSizes);
    }

    [Fact]
    public async Task A_read_of_an_id_waits_for_its_write_in_flight()
    {
        var table = new GatedTable();
        await using var writer = new GroupCommitWriter(table, () => Task.CompletedTask, maxBatchRows: 1000);

        var write = writer.WriteAsync([Row("user-a", 1)]);
        await table.CommitStarted.WaitAsync(TimeSpan.FromSeconds(10));
        var waitA = writer.WhenWritten("user-a");

        Assert.True(writer.WhenWritten("user-b").IsCompleted);
        Assert.False(waitA.IsCompleted);
        table.Release();
        await waitA.WaitAsync(TimeSpan.FromSeconds(10));
        await write;
    }

    [Fact]
    public async Task A_failed_commit_fails_every_write_in_it_and_the_next_commit_still_runs()
    {
        var table = new GatedTable { FailNext = true };
        table.Release();
        await using var writer = new GroupCommitWriter(table, () => Task.CompletedTask, maxBatchRows: 1000);

        var failed = await Assert.ThrowsAsync<InvalidOperationException>(() => writer.WriteAsync([Row("user-a", 1)]));
        Assert.Equal("disk full", failed.Message);
        var stale = await writer.WriteAsync([Row("user-a", 1)]).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Empty(stale);
        Assert.True(writer.WhenWritten("user-a").IsCompleted);
    }

    [Fact]
    public async Task A_transient_database_error_is_retried_and_the_write_completes_once_the_database_answers()
    {
        var table = new GatedTable { TransientFailures = 3 };
        table.Release();
        await using var writer = new GroupCommitWriter(table, () => Task.CompletedTask, maxBatchRows: 1000);

        var stale = await writer.WriteAsync([Row("user-a", 1)]).WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Empty(stale);
        Assert.Equal([1], table.BatchSizes);
    }

    [Fact]
    public async Task A_transient_error_that_outlasts_the_retry_window_fails_the_write()
    {
        var table = new GatedTable { TransientFailures = int.MaxValue };
        table.Release();
        await using var writer = new GroupCommitWriter(table, () => Task.CompletedTask, maxBatchRows: 1000, transientRetryWindow: TimeSpan.FromMilliseconds(500));

        await Assert.ThrowsAsync<DatabaseGoneException>(() => writer.WriteAsync([Row("user-a", 1)]).WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Empty(table.BatchSizes);
    }

    [Fact]
    public async Task Stale_rows_are_reported_to_the_write_they_came_from()
    {
        var table = new GatedTable { StaleIds = { "user-b" } };
        await using var writer = new GroupCommitWriter(table, () => Task.CompletedTask, maxBatchRows: 1000);

        var first = writer.WriteAsync([Row("user-0", 1)]);
        await table.CommitStarted.WaitAsync(TimeSpan.FromSeconds(10));
        var a = writer.WriteAsync([Row("user-a", 1)]);
        var b = writer.WriteAsync([Row("user-c", 1), Row("user-b", 1)]);
        table.Release();

        Assert.Empty(await a.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal([1], await b.WaitAsync(TimeSpan.FromSeconds(10)));
        await first;
    }

    [Fact]
    public async Task Of_an_id_written_twice_in_one_batch_only_the_last_row_goes_to_the_table()
    {
        var table = new GatedTable();
        await using var writer = new GroupCommitWriter(table, () => Task.CompletedTask, maxBatchRows: 1000);

        var first = writer.WriteAsync([Row("user-0", 1)]);
        await table.CommitStarted.WaitAsync(TimeSpan.FromSeconds(10));
        var older = writer.WriteAsync([Row("user-a", 1)]);
        var other = writer.WriteAsync([Row("user-b", 1)]);
        var newer = writer.WriteAsync([Row("user-a", 2)]);
        table.Release();
        await Task.WhenAll(first, older, other, newer).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal([1, 2], table.BatchSizes);
        Assert.Equal([("user-b", 1L), ("user-a", 2L)], table.LastBatch);
    }

    [Fact]
    public async Task A_superseded_row_shares_the_stale_outcome_of_the_row_that_replaced_it()
    {
        var table = new GatedTable { StaleIds = { "user-a" } };
        await using var writer = new GroupCommitWriter(table, () => Task.CompletedTask, maxBatchRows: 1000);

        var first = writer.WriteAsync([Row("user-0", 1)]);
        await table.CommitStarted.WaitAsync(TimeSpan.FromSeconds(10));
        var both = writer.WriteAsync([Row("user-a", 1), Row("user-b", 1), Row("user-a", 2)]);
        table.Release();

        Assert.Equal([0, 2], await both.WaitAsync(TimeSpan.FromSeconds(10)));
        await first;
    }

    private static CheckpointRow Row(string id, long seq) => new(id, seq, 17, "", [1, 2, 3], 0);

    /// <summary>Holds every commit until released, and records each batch it was given.</summary>
    private sealed class GatedTable : ICheckpointTable
    {
        private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public List<int> BatchSizes { get; } = [];

        public HashSet<string> StaleIds { get; } = [];

        public List<(string, long)> LastBatch { get; private set; } = [];

        public bool FailNext { get; set; }

        /// <summary>Commits that fail with a transient error (the database restarting) before one succeeds.</summary>
        public int TransientFailures { get; set; }

        public Task CommitStarted => _started.Task;

        public void Release() => _gate.TrySetResult();

        public Task EnsureCreatedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public async Task<IReadOnlyCollection<int>> UpsertAsync(IReadOnlyList<CheckpointRow> rows, CancellationToken cancellationToken)
        {
            _started.TrySetResult();
            await _gate.Task;
            if (FailNext)
            {
                FailNext = false;
                throw new InvalidOperationException("disk full");
            }

            if (TransientFailures > 0)
            {
                TransientFailures--;
                throw new DatabaseGoneException();
            }

            BatchSizes.Add(rows.Count);
            LastBatch = rows.Select(r => (r.PersistenceId, r.SequenceNr)).ToList();
            return Enumerable.Range(0, rows.Count).Where(i => StaleIds.Contains(rows[i].PersistenceId)).ToArray();
        }

        public Task<IReadOnlyDictionary<string, CheckpointRow>> ReadAsync(IReadOnlyCollection<string> persistenceIds, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        public Task DeleteToAsync(string persistenceId, long toSequenceNr, CancellationToken cancellationToken) => Task.CompletedTask;

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    /// <summary>What a provider throws when the server refuses or cuts the connection.</summary>
    private sealed class DatabaseGoneException() : System.Data.Common.DbException("connection refused")
    {
        public override bool IsTransient => true;
    }
}
