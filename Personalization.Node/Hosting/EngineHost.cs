using Akka.Cluster.Hosting;
using Akka.Cluster.Hosting.SBR;
using Akka.Hosting;
using Akka.Hosting.HealthChecks;
using Akka.Remote.Hosting;
using Personalization.Actors.Hosting;
using Personalization.Actors.Sessions;
using Personalization.Node.Http;
using Personalization.Node.Http.Admin;
using Personalization.Node.Http.Dashboard;
using Prometheus;

namespace Personalization.Node.Hosting;

/// <summary>
/// The composition root of a node: Akka (remoting, cluster, sharding, persistence), the model, Kafka ingest and the
/// HTTP API, each registered by its own extension method. `run`, `demo` and the tests all build nodes here.
/// </summary>
public static class EngineHost
{
    public static WebApplication Build(NodeOptions options, Action<WebApplicationBuilder>? configure = null, string[]? args = null)
    {
        if (NodeConfiguration.Validate(options) is { } problem) throw new ArgumentException(problem, nameof(options));
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args ?? [], ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseUrls(options.Http.Urls);
        builder.AddNodeLogging();
        var tracing = builder.AddTracing(options);
        builder.Services.AddSingleton(options);
        // The host waits this long for its services to stop (its default, 30 s, is not the node's budget). A node
        // process (`run`) also adds ShutdownBudget, which makes sure the process is gone by then.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = options.Shutdown.Total);
        builder.AddHttpApi(options);
        builder.Services.AddNodeHealth(options);
        builder.Services.AddModelRegistry(options.Model, options.Serving.IngestNice);
        builder.Services.AddServingLane();
        builder.Services.AddBusinessFilters(options);
        builder.Services.AddExperiments(options);
        builder.Services.AddKafkaIngest(options);
        builder.Services.AddHostedService<NodeStatsService>();
        builder.Services.AddSingleton<DashboardHistory>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<DashboardHistory>());
        builder.Services.AddAkka(options.Cluster.SystemName, (akka, services) =>
        {
            akka.AddSetup(new AkkaLogBridgeSetup(services.GetRequiredService<ILoggerFactory>()));
            akka.WithEngine(options).WithExperiments(options);
        });
        configure?.Invoke(builder);

        var app = builder.Build();
        if (tracing.Enabled)
            app.Logger.LogInformation("Tracing: OTLP exporter to {Endpoint}, sampler {Sampler}", tracing.Endpoint, tracing.SamplerDescription);
        else
            app.Logger.LogInformation("Tracing off ({Why})", tracing.Why);
        if (options.Cluster.NetworkFaultInjection)
        {
            app.Logger.LogWarning(
                "Cluster:NetworkFaultInjection is on (test only): remoting speaks {Protocol} through the throttler adapter and POST /admin/faults/network/cut can cut this node off its peers",
                RemotingHosting.Protocol(options.Cluster));
        }

        DegradedAnswers.TouchMetrics();
        app.UseHttpRouteMetrics();
        app.UseHttpApi();
        app.MapUserEndpoints();
        app.MapEventEndpoints();
        app.MapHealthEndpoints();
        app.MapClusterEndpoints();
        app.MapAdminEndpoints();
        app.MapMetrics("/metrics");
        app.MapDashboardEndpoints();
        return app;
    }

    private static AkkaConfigurationBuilder WithEngine(this AkkaConfigurationBuilder akka, NodeOptions options)
    {
        var cluster = options.Cluster;
        var publicHost = string.IsNullOrWhiteSpace(cluster.PublicHostname) ? cluster.Hostname : cluster.PublicHostname;
        var port = cluster.Port;
        // A node without seeds is a cluster of one: it is its own seed, so its port must be known before it starts.
        if (port == 0 && !ClusterFormation.IsKubernetes(cluster) && cluster.SeedNodeList.Length == 0) port = FreePorts.Next();
        var formation = ClusterFormation.For(cluster, port, publicHost);

        var sessions = options.Sessions;
        if (cluster.NetworkFaultInjection) akka.AddHocon(RemotingHosting.NetworkFaultHocon(cluster), HoconAddMode.Prepend); // test only
        return akka
            // Akka's log events go to Microsoft.Extensions.Logging only (Akka's default stdout logger is not kept), so each
            // appears once, in the node's format, with its named properties (AkkaLogBridge).
            .ConfigureLoggers(l => l.ClearLoggers().AddLogger<AkkaLogBridge>())
            // Nor Akka's own stdout logger, which prints what happens before that logger starts and after it stops in a
            // format of its own (plain text among JSON lines): nothing there is the node's to act on (the start-up
            // notice that PersonalizationSerializer's binding of System.Object replaces Akka's default is intended, and off).
            .AddHocon("akka.stdout-loglevel = OFF\nakka.log-serializer-override-on-start = off", HoconAddMode.Prepend)
            // The bridge's mailbox writes what is still queued when the logger stops through the node's loggers too.
            .AddHocon(AkkaLogBridgeMailbox.Hocon, HoconAddMode.Prepend)
            .WithRemoting(RemotingHosting.RemoteOptionsFor(cluster, port, publicHost))
            .WithClustering(new ClusterOptions
            {
                SeedNodes = formation.SeedNodes,
                SplitBrainResolver = new KeepMajorityOption(),
            })
            .WithClusterFormation(formation, cluster, publicHost)
            .WithHealthCheck(HealthHosting.ActorSystemCheck, new ActorSystemLivenessCheck(), tags: [HealthHosting.Live])
            .WithHealthCheck(HealthHosting.ClusterJoinedCheck, new AkkaClusterReadinessCheck(), tags: [HealthHosting.Ready])
            .AddHocon(
                $"akka.cluster.split-brain-resolver.stable-after = {cluster.StableAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)}s",
                HoconAddMode.Prepend)
            .AddHocon(ShutdownPhases(options.Shutdown), HoconAddMode.Prepend)
            .WithPersonalizationSerialization()
            .WithIngestDispatcher(options.Serving.IngestThreads > 0 ? options.Serving.IngestThreads : Environment.ProcessorCount, options.Serving.IngestNice)
            .WithCheckpointStore(new CheckpointStoreOptions(CheckpointStoreOptions.ParseProvider(options.Store.Provider), options.Store.ConnectionString))
            .WithUserSessions(options.Kafka.Partitions, new UserSessionSettings
            {
                RecentItems = sessions.RecentItems,
                CheckpointInterval = TimeSpan.FromSeconds(sessions.CheckpointIntervalSeconds),
                CheckpointEveryEvents = sessions.CheckpointEveryEvents,
                IdleTimeout = TimeSpan.FromSeconds(sessions.IdleTimeoutSeconds),
                AttributionWindow = TimeSpan.FromMinutes(options.Experiments.AttributionWindowMinutes),
                ExcludeSeen = sessions.ExcludeSeen,
                SuppressIgnoredAfter = sessions.SuppressIgnoredAfter,
            });
    }

    /// <summary>
    /// Coordinated shutdown's phase timeouts from the settings: Akka's defaults (service-unbind 5 s, sharding's
    /// region shutdown 10 s) would cut the Kafka drain short and say nothing about the node's budget.
    /// </summary>
    internal static string ShutdownPhases(NodeOptions.ShutdownOptions shutdown)
    {
        static string Ms(double seconds) => ((long)Math.Round(seconds * 1000)).ToString(System.Globalization.CultureInfo.InvariantCulture) + "ms";
        return $"""
            akka.coordinated-shutdown.phases.service-unbind.timeout = {Ms(shutdown.ServiceUnbindTimeoutSeconds)}
            akka.coordinated-shutdown.phases.cluster-sharding-shutdown-region.timeout = {Ms(shutdown.ShardHandOffTimeoutSeconds)}
            """;
    }
}
