using Personalization.Actors.Persistence;
using Xunit;

namespace Personalization.Tests.Persistence;

/// <summary>The checkpoint table is created at start, and again by the next operation when that failed.</summary>
public sealed class TableReadinessTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_creation_that_failed_is_tried_again_by_the_next_caller_instead_of_failing_every_operation()
    {
        var attempts = 0;
        var readiness = new TableReadiness(() => ++attempts == 1
            ? throw new InvalidOperationException("permission denied")
            : Task.CompletedTask);

        await Assert.ThrowsAsync<InvalidOperationException>(() => readiness.WaitAsync().WaitAsync(Wait));
        await readiness.WaitAsync().WaitAsync(Wait);

        Assert.Equal(2, attempts);
    }

    [Fact]
    public async Task A_table_once_created_is_not_created_again()
    {
        var attempts = 0;
        var readiness = new TableReadiness(() =>
        {
            attempts++;
            return Task.CompletedTask;
        });

        await readiness.WaitAsync().WaitAsync(Wait);
        await readiness.WaitAsync().WaitAsync(Wait);

        Assert.Equal(1, attempts);
    }

    [Fact]
    public async Task A_transient_error_while_creating_is_ridden_out_within_one_wait()
    {
        var attempts = 0;
        var readiness = new TableReadiness(() => ++attempts <= 2 ? throw new TimeoutException("connect timed out") : Task.CompletedTask);

        await readiness.WaitAsync().WaitAsync(Wait);

        Assert.Equal(3, attempts);
    }
}
