using Akka.Actor;
using Akka.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Personalization.Actors.Sharding;
using Personalization.Node.Hosting;
using Personalization.Node.Local;

namespace Personalization.LoadTest.Infra;

/// <summary>A whole node in this process (<see cref="InProcessNode"/>) with the bench's settings; stops gracefully on dispose.</summary>
public sealed class NodeRunner : IAsyncDisposable
{
    private readonly InProcessNode _node;

    private NodeRunner(InProcessNode node) => _node = node;

    public WebApplication App => _node.App;
    public NodeOptions Options => _node.Options;
    public string BaseAddress => _node.BaseAddress;
    public ActorSystem System => _node.System;

    public Task<IActorRef> RegionAsync() => _node.UserRegionAsync();

    /// <summary>Production defaults (checkpoint every 2 s / 200 events), free ports, the bench's topic and store.</summary>
    public static NodeOptions Options_(BenchContext ctx, string topic, string provider, string connection)
    {
        var options = new NodeOptions();
        options.Http.Host = "127.0.0.1";
        options.Http.Port = 0;
        options.Cluster.Port = 0;
        options.Kafka.BootstrapServers = ctx.Bootstrap;
        options.Kafka.Topic = topic;
        options.Kafka.GroupId = topic + "-engine";
        options.Kafka.Partitions = BenchContext.Partitions;
        options.Kafka.SessionTimeoutMs = 6000;
        options.Store.Provider = provider;
        options.Store.ConnectionString = connection;
        options.Model.Path = ctx.ModelPath;
        options.Experiments.DataDirectory = Path.Combine(ctx.WorkDir, "ddata"); // not the repository's data/ (the default, relative to the working directory)
        options.Sessions.IdleTimeoutSeconds = 600; // users stay live for the whole measurement (memory per live user)
        // Profiling knobs (never for reported figures): the ingest threads' nice value, the source's in-flight bound.
        if (int.TryParse(Environment.GetEnvironmentVariable("BENCH_INGEST_NICE"), out var nice)) options.Serving.IngestNice = nice;
        if (int.TryParse(Environment.GetEnvironmentVariable("BENCH_MAX_IN_FLIGHT"), out var inFlight)) options.Kafka.MaxInFlightPerPartition = inFlight;
        return options;
    }

    public static async Task<NodeRunner> StartAsync(NodeOptions options)
    {
        var node = new NodeRunner(await InProcessNode.StartAsync(options, TimeSpan.FromSeconds(90)));
        if (Environment.GetEnvironmentVariable("BENCH_DEBUG") == "1")
        {
            var c = node.System.Settings.Config;
            foreach (var key in new[] { "akka.persistence.journal.sql.parallelism", "akka.persistence.journal.sql.batch-size", "akka.persistence.max-concurrent-recoveries", "akka.persistence.journal.sql.read-isolation-level", "akka.persistence.snapshot-store.sql.read-isolation-level" })
                Console.WriteLine($"  config {key} = {c.GetString(key)}");
        }

        return node;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            await _node.StopAsync(cts.Token);
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"node stop: {e.Message}");
        }

        await _node.DisposeAsync();
    }
}
