using Personalization.Actors.Persistence;
using Xunit;

namespace Personalization.Tests.Persistence;

/// <summary>Recovery reads: batched, and riding out a database that is briefly gone.</summary>
public sealed class BatchedReaderTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_read_that_meets_a_transient_error_is_tried_again_and_answers()
    {
        var table = new FlakyTable { TransientFailures = 3 };
        await using var reader = new BatchedReader(table, () => Task.CompletedTask, maxBatch: 100);

        var row = await reader.ReadAsync("user-a").WaitAsync(Wait);

        Assert.Equal(7, row!.SequenceNr);
        Assert.Equal(4, table.Attempts);
    }

    [Fact]
    public async Task A_read_that_fails_for_another_reason_fails_at_once()
    {
        var table = new FlakyTable { Fault = new InvalidOperationException("no such table") };
        await using var reader = new BatchedReader(table, () => Task.CompletedTask, maxBatch: 100);

        await Assert.ThrowsAsync<InvalidOperationException>(() => reader.ReadAsync("user-a").WaitAsync(Wait));
        Assert.Equal(1, table.Attempts);
    }

    [Fact]
    public async Task A_transient_error_that_outlasts_the_retry_window_fails_the_read()
    {
        var table = new FlakyTable { TransientFailures = int.MaxValue };
        await using var reader = new BatchedReader(table, () => Task.CompletedTask, maxBatch: 100, transientRetryWindow: TimeSpan.FromMilliseconds(500));

        await Assert.ThrowsAsync<DatabaseGoneException>(() => reader.ReadAsync("user-a").WaitAsync(Wait));
        Assert.True(table.Attempts > 1);
    }

    [Fact]
    public void A_recovery_waiting_for_the_database_outlasts_the_retry_window_before_Akka_times_it_out()
    {
        var hocon = Akka.Configuration.ConfigurationFactory.ParseString(
            Personalization.Actors.Hosting.CheckpointStoreHostingExtensions.CheckpointJournalHocon(
                Personalization.Actors.Hosting.CheckpointStoreOptions.SqliteFile("/tmp/x.db")));
        var plugin = hocon.GetConfig(CheckpointJournal.PluginId);

        Assert.True(plugin.GetTimeSpan("recovery-event-timeout") > TransientDatabaseErrors.DefaultWindow);
        Assert.True(plugin.GetTimeSpan("circuit-breaker.call-timeout") > TransientDatabaseErrors.DefaultWindow);
    }

    private sealed class FlakyTable : ICheckpointTable
    {
        public int TransientFailures { get; set; }

        public Exception? Fault { get; init; }

        public int Attempts { get; private set; }

        public Task EnsureCreatedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task<IReadOnlyCollection<int>> UpsertAsync(IReadOnlyList<CheckpointRow> rows, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        public Task<IReadOnlyDictionary<string, CheckpointRow>> ReadAsync(IReadOnlyCollection<string> persistenceIds, CancellationToken cancellationToken)
        {
            Attempts++;
            if (Fault is not null) throw Fault;
            if (TransientFailures > 0)
            {
                TransientFailures--;
                throw new DatabaseGoneException();
            }

            IReadOnlyDictionary<string, CheckpointRow> rows = persistenceIds.ToDictionary(id => id, id => new CheckpointRow(id, 7, 1, "m", [1], 0));
            return Task.FromResult(rows);
        }

        public Task DeleteToAsync(string persistenceId, long toSequenceNr, CancellationToken cancellationToken) => Task.CompletedTask;

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    /// <summary>What a provider throws when the server refuses or cuts the connection.</summary>
    private sealed class DatabaseGoneException() : System.Data.Common.DbException("connection refused")
    {
        public override bool IsTransient => true;
    }
}
