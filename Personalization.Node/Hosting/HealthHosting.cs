using Akka.Actor;
using Akka.Cluster;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Personalization.Actors.Hosting;
using Personalization.Actors.Persistence;

namespace Personalization.Node.Hosting;

/// <summary>
/// The node's health on ASP.NET Core HealthChecks (docs/DESIGN.md, "Health"). Checks tagged <see cref="Live"/> make
/// <c>/healthz/live</c>, those tagged <see cref="Ready"/> make <c>/healthz/ready</c>:
/// <list type="bullet">
/// <item><c>actor-system</c> (live) and <c>cluster-joined</c> (ready): Akka.Hosting's own checks
/// (<c>WithActorSystemLivenessCheck</c>, <c>WithAkkaClusterReadinessCheck</c>, registered with the actor system).</item>
/// <item><c>cluster</c> (ready): this member's status now, Up or not (Akka's check says "joined once" and stays so
/// while the node leaves).</item>
/// <item><c>model</c>, <c>kafka</c> (ready; <c>kafka</c> also live): the parts' own <see cref="IReadinessCheck"/> and
/// <see cref="ILivenessCheck"/>.</item>
/// <item><c>checkpoints</c> (ready, <b>degraded</b> on failure): a real query against the checkpoint store. A store
/// outage shows in the body but keeps the node ready: every node shares the store, queries are answered from memory
/// meanwhile and writes ride the outage out, so taking every pod out of service would only turn it into an outage of
/// the API.</item>
/// </list>
/// </summary>
public static class HealthHosting
{
    public const string Live = "live";
    public const string Ready = "ready";

    public const string ActorSystemCheck = "actor-system";
    public const string ClusterJoinedCheck = "cluster-joined";

    private const string LiveSuffix = ":live";

    public static IServiceCollection AddNodeHealth(this IServiceCollection services, NodeOptions options)
    {
        services.AddSingleton(_ => new CheckpointStoreProbe(
            new CheckpointStoreOptions(CheckpointStoreOptions.ParseProvider(options.Store.Provider), options.Store.ConnectionString)));
        services.AddSingleton<CheckpointStoreHealthCheck>();
        services.AddSingleton<HealthChanges>();
        services.AddHealthChecks()
            .AddCheck<ClusterMemberHealthCheck>("cluster", HealthStatus.Unhealthy, [Ready])
            .Add(new HealthCheckRegistration("checkpoints", sp => sp.GetRequiredService<CheckpointStoreHealthCheck>(), HealthStatus.Degraded, [Ready]));
        return services;
    }

    /// <summary>One part's readiness (<see cref="IReadinessCheck"/>) as a health check named after it.</summary>
    public static IServiceCollection AddReadiness<T>(this IServiceCollection services, string name) where T : class, IReadinessCheck
    {
        services.AddHealthChecks().Add(new HealthCheckRegistration(name, sp => new ReadinessHealthCheck(sp.GetRequiredService<T>()), HealthStatus.Unhealthy, [Ready]));
        return services;
    }

    /// <summary>One part's liveness (<see cref="ILivenessCheck"/>) as a health check named after it.</summary>
    public static IServiceCollection AddLiveness<T>(this IServiceCollection services, string name) where T : class, ILivenessCheck
    {
        // Registration names are unique across tags: the liveness side of a part is "<name>:live", shown as <name>.
        services.AddHealthChecks().Add(new HealthCheckRegistration(name + LiveSuffix, sp => new LivenessHealthCheck(sp.GetRequiredService<T>()), HealthStatus.Unhealthy, [Live]));
        return services;
    }

    /// <summary>The checks of one tag, run now: overall (Degraded counts as passing), and each check's detail.</summary>
    public static async Task<(bool Passing, Dictionary<string, string> Checks, HealthReport Report)> RunAsync(IServiceProvider services, string tag, CancellationToken cancellationToken)
    {
        var report = await services.GetRequiredService<HealthCheckService>().CheckHealthAsync(r => r.Tags.Contains(tag), cancellationToken);
        var checks = new Dictionary<string, string>();
        var changes = services.GetService<HealthChanges>();
        foreach (var (name, entry) in report.Entries)
        {
            checks[ShownName(name)] = Detail(name, entry);
            changes?.Observe(name, entry.Status, checks[ShownName(name)]);
        }

        return (report.Status != HealthStatus.Unhealthy, checks, report);
    }

    /// <summary>The key a check has in the health bodies.</summary>
    public static string ShownName(string registration) =>
        registration.EndsWith(LiveSuffix, StringComparison.Ordinal) ? registration[..^LiveSuffix.Length] : registration;

    /// <summary>Short words for Akka's checks when they pass (their descriptions are sentences about timings).</summary>
    private static string Detail(string name, HealthReportEntry entry) => (name, entry.Status) switch
    {
        (ActorSystemCheck, HealthStatus.Healthy) => "running",
        (ClusterJoinedCheck, HealthStatus.Healthy) => "joined",
        _ => entry.Description ?? entry.Exception?.Message ?? entry.Status.ToString().ToLowerInvariant(),
    };

    private sealed class ReadinessHealthCheck(IReadinessCheck check) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var (ready, detail) = check.Check();
            return Task.FromResult(new HealthCheckResult(ready ? HealthStatus.Healthy : context.Registration.FailureStatus, detail));
        }
    }

    private sealed class LivenessHealthCheck(ILivenessCheck check) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var (live, detail) = check.Check();
            return Task.FromResult(new HealthCheckResult(live ? HealthStatus.Healthy : context.Registration.FailureStatus, detail));
        }
    }
}

/// <summary>
/// One log line when a check changes status (not one per probe): "Health check kafka is now Healthy: consuming 6
/// partitions". A check's first observation is logged only when it is not healthy, and as information (a node starts
/// not ready); later changes to unhealthy or degraded are warnings.
/// </summary>
internal sealed class HealthChanges(ILogger<HealthChanges> logger)
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, HealthStatus> _last = new(StringComparer.Ordinal);

    public void Observe(string check, HealthStatus status, string detail)
    {
        var first = !_last.TryGetValue(check, out var previous);
        _last[check] = status;
        if (first)
        {
            // A node starts not ready: its first view of each check is information, not a warning.
            if (status != HealthStatus.Healthy) logger.LogInformation("Health check {Check} is {Status}: {Detail}", HealthHosting.ShownName(check), status, detail);
            return;
        }

        if (previous == status) return;
        var level = status == HealthStatus.Healthy ? LogLevel.Information : LogLevel.Warning;
        logger.Log(level, "Health check {Check} is now {Status}: {Detail}", HealthHosting.ShownName(check), status, detail);
    }
}

/// <summary>Ready only while this member is Up: the detail is its status (up, joining, leaving, exiting, down, removed).</summary>
internal sealed class ClusterMemberHealthCheck(ActorSystem system) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var status = Cluster.Get(system).SelfMember.Status;
        var detail = status.ToString().ToLowerInvariant();
        return Task.FromResult(new HealthCheckResult(status == MemberStatus.Up ? HealthStatus.Healthy : context.Registration.FailureStatus, detail));
    }
}

/// <summary>
/// The checkpoint store answers a real query (<see cref="CheckpointStoreProbe"/>) within 2 s. A result is reused for a
/// second, so probes from several sources (kubelet, operators, the console) cost the database one query a second.
/// </summary>
internal sealed class CheckpointStoreHealthCheck(CheckpointStoreProbe probe) : IHealthCheck
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan ReuseFor = TimeSpan.FromSeconds(1);
    private readonly Lock _gate = new();
    private Task<(bool Ok, string Detail)>? _last;
    private long _lastAt;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        Task<(bool Ok, string Detail)> run;
        lock (_gate)
        {
            if (_last is null || (_last.IsCompleted && Environment.TickCount64 - _lastAt > ReuseFor.TotalMilliseconds))
            {
                _lastAt = Environment.TickCount64;
                _last = ProbeAsync();
            }

            run = _last;
        }

        var (ok, detail) = await run.WaitAsync(cancellationToken);
        return new HealthCheckResult(ok ? HealthStatus.Healthy : context.Registration.FailureStatus, detail);
    }

    private async Task<(bool, string)> ProbeAsync()
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            var result = await probe.ProbeAsync(timeout.Token);
            var ms = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            return (true, result switch
            {
                CheckpointStoreProbe.ProbeResult.NotCreated => $"{probe.Provider} answering; the checkpoint table is created with the first user",
                CheckpointStoreProbe.ProbeResult.Empty => $"{probe.Provider} answering ({ms:0} ms, no checkpoints yet)",
                _ => $"{probe.Provider} answering ({ms:0} ms)",
            });
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            return (false, $"{probe.Provider} did not answer within {Timeout.TotalSeconds:0} s");
        }
        catch (Exception e)
        {
            return (false, $"{probe.Provider} failed: {Actors.Events.ReasonText.Bounded(e.Message)}");
        }
    }
}
