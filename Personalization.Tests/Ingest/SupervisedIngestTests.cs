using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Personalization.Actors.Ingest;
using Personalization.Tests.Infrastructure;
using Xunit;

namespace Personalization.Tests.Ingest;

/// <summary>Ingest restarts after a failure with a growing backoff, and reports unhealthy only while it keeps failing.</summary>
public sealed class SupervisedIngestTests
{
    private static readonly IngestRestartSettings Settings = new()
    {
        MinBackoff = TimeSpan.FromSeconds(1),
        MaxBackoff = TimeSpan.FromSeconds(4),
        RandomFactor = 0,
        ResetAfter = TimeSpan.FromSeconds(10),
    };

    private readonly FakeTimeProvider _time = new();
    private readonly ConcurrentQueue<FakeIngest> _started = new();

    private SupervisedIngest Supervise() => new(() =>
    {
        var ingest = new FakeIngest();
        _started.Enqueue(ingest);
        return ingest;
    }, Settings, NullLogger.Instance, _time);

    private FakeIngest Started(int count)
    {
        Eventually.True(() => _started.Count >= count, TimeSpan.FromSeconds(5), $"{count} streams started");
        return _started.ToArray()[count - 1];
    }

    /// <summary>Lets the supervisor reach its backoff wait, then moves the clock past it.</summary>
    private void AdvanceUntilStarted(int count, TimeSpan step)
    {
        Eventually.True(() =>
        {
            if (_started.Count >= count) return true;
            _time.Advance(step);
            return false;
        }, TimeSpan.FromSeconds(5), $"{count} streams started");
    }

    [Fact]
    public async Task A_failed_stream_is_started_again_after_the_backoff()
    {
        await using var ingest = Supervise();
        Started(1).Fail(new InvalidOperationException("poll loop died"));
        Eventually.True(() => ingest.RestartCount == 1, TimeSpan.FromSeconds(5), "restart counted");

        Assert.Equal(Settings.MinBackoff, ingest.LastBackoff);
        AdvanceUntilStarted(2, TimeSpan.FromMilliseconds(100));

        Assert.Equal("InvalidOperationException: poll loop died", ingest.LastError);
    }

    [Fact]
    public async Task A_stream_that_ends_without_being_asked_to_is_started_again_too()
    {
        await using var ingest = Supervise();
        Started(1).Complete();

        AdvanceUntilStarted(2, TimeSpan.FromMilliseconds(500));

        Assert.Equal("the stream ended without being asked to", ingest.LastError);
    }

    [Fact]
    public async Task The_backoff_doubles_up_to_its_maximum()
    {
        await using var ingest = Supervise();
        var waits = new List<TimeSpan>();
        for (var n = 1; n <= 4; n++)
        {
            Started(n).Fail(new Exception("again"));
            Eventually.True(() => ingest.RestartCount == n, TimeSpan.FromSeconds(5), "restart counted");
            waits.Add(ingest.LastBackoff);
            AdvanceUntilStarted(n + 1, TimeSpan.FromMilliseconds(250));
        }

        Assert.Equal([1.0, 2.0, 4.0, 4.0], waits.Select(w => w.TotalSeconds));
    }

    [Fact]
    public async Task Ingest_that_keeps_failing_becomes_unhealthy_and_a_healthy_run_ends_that()
    {
        await using var ingest = Supervise();
        Assert.True(ingest.Healthy(TimeSpan.FromSeconds(5)));
        Started(1).Fail(new Exception("down"));
        Eventually.True(() => ingest.RestartCount == 1, TimeSpan.FromSeconds(5), "restart counted");
        AdvanceUntilStarted(2, TimeSpan.FromMilliseconds(500));
        Started(2).Fail(new Exception("still down"));
        Eventually.True(() => ingest.RestartCount == 2, TimeSpan.FromSeconds(5), "restart counted");
        AdvanceUntilStarted(3, TimeSpan.FromSeconds(1));

        _time.Advance(TimeSpan.FromSeconds(3));
        Assert.False(ingest.Healthy(TimeSpan.FromSeconds(5))); // failing since the first failure, 5 s and more ago
        _time.Advance(Settings.ResetAfter);
        Assert.True(ingest.Healthy(TimeSpan.FromSeconds(5))); // the third stream has run long enough
    }

    [Fact]
    public async Task Shutdown_drains_the_running_stream_and_starts_no_other()
    {
        var ingest = Supervise();
        var running = Started(1);

        await ingest.DrainAndShutdownAsync(TimeSpan.FromSeconds(3)).WaitAsync(TimeSpan.FromSeconds(5));

        Assert.Equal(TimeSpan.FromSeconds(3), running.DrainedWith);
        Assert.Single(_started);
        Assert.Equal(0, ingest.RestartCount);
    }

    private sealed class FakeIngest : IRunningIngest
    {
        private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task StreamCompletion => _completion.Task;

        public TimeSpan? DrainedWith { get; private set; }

        public void Fail(Exception error) => _completion.TrySetException(error);

        public void Complete() => _completion.TrySetResult();

        public Task DrainAndShutdownAsync(TimeSpan timeout)
        {
            DrainedWith = timeout;
            _completion.TrySetResult();
            return Task.CompletedTask;
        }
    }
}
