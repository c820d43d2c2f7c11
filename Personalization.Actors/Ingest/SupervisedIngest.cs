using Microsoft.Extensions.Logging;
using Prometheus;

namespace Personalization.Actors.Ingest;

/// <summary>A running ingest stream as its supervisor sees it.</summary>
public interface IRunningIngest
{
    /// <summary>Completes when the stream ends; faults if it failed.</summary>
    Task StreamCompletion { get; }

    Task DrainAndShutdownAsync(TimeSpan timeout);
}

/// <summary>How <see cref="SupervisedIngest"/> restarts a failed stream.</summary>
public sealed record IngestRestartSettings
{
    /// <summary>Wait before the first restart; doubled after each failure up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan MinBackoff { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Random extra wait, as a fraction of the backoff, so restarting nodes do not rejoin the group in step.</summary>
    public double RandomFactor { get; init; } = 0.2;

    /// <summary>A stream that ran this long before failing counts as healthy: the backoff starts over.</summary>
    public TimeSpan ResetAfter { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// Keeps ingest running: when the stream fails (or ends without being asked to), it is started again after an
/// exponential backoff, with a new consumer in the same group, so it resumes from the committed offsets — what was in
/// flight is read again and users skip what they applied (docs/DESIGN.md, "Delivery protocol"). Each restart is
/// counted and logged once. Not Akka.Streams' RestartSource: that hides the materialized value, and the node needs
/// the running source's control (drain on shutdown, status, partitions) across restarts.
/// </summary>
public sealed class SupervisedIngest : IAsyncDisposable
{
    private static readonly Counter Restarts = Metrics.CreateCounter(
        "personalization_ingest_restarts_total", "Times the Kafka ingest stream failed and was started again.");

    private readonly Func<IRunningIngest> _start;
    private readonly IngestRestartSettings _settings;
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly Lock _gate = new();
    private IRunningIngest? _current;
    private DateTimeOffset _runningSince;
    private DateTimeOffset? _failingSince;
    private string? _lastError;
    private TimeSpan _lastBackoff;
    private int _restarts;
    private Task? _drain;

    public SupervisedIngest(Func<IRunningIngest> start, IngestRestartSettings settings, ILogger log, TimeProvider? time = null)
    {
        _start = start;
        _settings = settings;
        _log = log;
        _time = time ?? TimeProvider.System;
        Restarts.Inc(0); // registers the series at 0 (a lazily initialised static would appear only at the first restart)
        _loop = Task.Run(SuperviseAsync);
    }

    /// <summary>The stream running now (null while it restarts).</summary>
    public IRunningIngest? Current
    {
        get
        {
            lock (_gate) return _current;
        }
    }

    /// <summary>How often the stream was started again.</summary>
    public int RestartCount => Volatile.Read(ref _restarts);

    /// <summary>Since when ingest has failed without a healthy run in between (null: healthy).</summary>
    public DateTimeOffset? FailingSince
    {
        get
        {
            lock (_gate) return _failingSince;
        }
    }

    /// <summary>The wait before the latest restart.</summary>
    public TimeSpan LastBackoff
    {
        get
        {
            lock (_gate) return _lastBackoff;
        }
    }

    public string? LastError
    {
        get
        {
            lock (_gate) return _lastError;
        }
    }

    /// <summary>Stops supervising and drains the running stream (waits up to <paramref name="timeout"/> for in-flight acks).</summary>
    public Task DrainAndShutdownAsync(TimeSpan timeout)
    {
        lock (_gate)
        {
            if (_drain is not null) return _drain;
            _stop.Cancel();
            var current = _current;
            _drain = DrainAsync(current, timeout);
            return _drain;
        }
    }

    private async Task DrainAsync(IRunningIngest? current, TimeSpan timeout)
    {
        if (current is not null)
        {
            try
            {
                await current.DrainAndShutdownAsync(timeout).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                _log.LogWarning(e, "Kafka ingest drain ended with an error");
            }
        }

        await _loop.ConfigureAwait(false);
    }

    private async Task SuperviseAsync()
    {
        var backoff = _settings.MinBackoff;
        while (!_stop.IsCancellationRequested)
        {
            var startedAt = _time.GetUtcNow();
            string failure;
            try
            {
                var running = _start();
                lock (_gate)
                {
                    if (_stop.IsCancellationRequested)
                    {
                        // Shutdown began while this one started: the drain did not see it, so stop it here.
                        _ = running.DrainAndShutdownAsync(TimeSpan.Zero);
                        return;
                    }

                    _current = running;
                    _runningSince = _time.GetUtcNow();
                }

                await running.StreamCompletion.ConfigureAwait(false);
                if (_stop.IsCancellationRequested) return;
                failure = "the stream ended without being asked to";
            }
            catch (Exception e) when (!_stop.IsCancellationRequested)
            {
                failure = $"{e.GetType().Name}: {e.Message}";
            }
            catch (Exception)
            {
                return; // failed while draining: shutdown goes on
            }

            var now = _time.GetUtcNow();
            var ranHealthy = now - startedAt >= _settings.ResetAfter;
            if (ranHealthy) backoff = _settings.MinBackoff;
            var wait = backoff * (1 + Random.Shared.NextDouble() * _settings.RandomFactor);
            lock (_gate)
            {
                _current = null;
                _lastError = failure;
                _lastBackoff = wait;
                // A new episode after a healthy run; otherwise the failure goes on since it began.
                if (ranHealthy || _failingSince is null) _failingSince = now;
            }

            Interlocked.Increment(ref _restarts);
            Restarts.Inc();
            _log.LogError("Kafka ingest failed ({Reason}); restarting from the committed offsets in {Backoff:0.0} s (restart {Restart})",
                failure, wait.TotalSeconds, RestartCount);
            try
            {
                await Task.Delay(wait, _time, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            backoff = TimeSpan.FromTicks(Math.Min(_settings.MaxBackoff.Ticks, backoff.Ticks * 2));
        }
    }

    /// <summary>
    /// True unless ingest has been failing for <paramref name="unhealthyAfter"/> or longer. A restarted stream that
    /// has run <see cref="IngestRestartSettings.ResetAfter"/> ends the failure.
    /// </summary>
    public bool Healthy(TimeSpan unhealthyAfter)
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            if (_failingSince is null) return true;
            if (_current is not null && now - _runningSince >= _settings.ResetAfter)
            {
                _failingSince = null;
                return true;
            }

            return now - _failingSince.Value < unhealthyAfter;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await DrainAndShutdownAsync(TimeSpan.Zero).ConfigureAwait(false);
        _stop.Dispose();
    }
}
