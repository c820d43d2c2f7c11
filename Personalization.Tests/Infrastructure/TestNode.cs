using Akka.Actor;
using Microsoft.AspNetCore.Builder;
using Personalization.Actors.Sessions;
using Personalization.Node.Hosting;
using Personalization.Node.Local;

namespace Personalization.Tests.Infrastructure;

/// <summary>A whole node in the test process (<see cref="InProcessNode"/>) with an HTTP client and the test settings.</summary>
public sealed class TestNode : IAsyncDisposable
{
    private readonly InProcessNode _node;

    private TestNode(InProcessNode node)
    {
        _node = node;
        Http = new HttpClient { BaseAddress = new Uri(node.BaseAddress), Timeout = TimeSpan.FromSeconds(30) };
    }

    public WebApplication App => _node.App;

    public NodeOptions Options => _node.Options;

    public HttpClient Http { get; }

    public ActorSystem System => _node.System;

    /// <summary>Options for a node of the tests: free ports, short checkpoint interval, fast group rebalances.</summary>
    public static NodeOptions CreateOptions(string bootstrapServers, string topic, int partitions, string storeProvider, string connectionString)
    {
        var options = new NodeOptions();
        options.Http.Host = "127.0.0.1";
        options.Http.Port = 0;
        options.Cluster.Port = 0;
        options.Cluster.SystemName = "personalization";
        options.Kafka.BootstrapServers = bootstrapServers;
        options.Kafka.Topic = topic;
        options.Kafka.GroupId = topic + "-group";
        options.Kafka.Partitions = partitions;
        options.Kafka.SessionTimeoutMs = 3000;
        // Nodes of one test share it (a cluster's nodes follow the same one); tests on one broker never see each other's.
        options.Kafka.AvailabilityTopic = topic + "-availability";
        options.Store.Provider = storeProvider;
        options.Store.ConnectionString = connectionString;
        options.Model.Path = RepositoryPaths.DefaultModel;
        options.Sessions.CheckpointIntervalSeconds = 0.2;
        options.Sessions.CheckpointEveryEvents = 50;
        // Tests compare live answers with the offline replay: on a loaded CI machine a first query (recovery, then a
        // ranking) can take longer than the production budget, and would come back degraded.
        options.Http.QueryTimeoutMs = 10_000;
        // Each node its own replica of the experiments, never the working directory's.
        options.Experiments.DataDirectory = Path.Combine(Path.GetTempPath(), "pz-ddata-" + Guid.NewGuid().ToString("N")[..12]);
        return options;
    }

    public static async Task<TestNode> StartAsync(NodeOptions options, Action<WebApplicationBuilder>? configure = null) =>
        new(await InProcessNode.StartAsync(options, TimeSpan.FromSeconds(60), configure));

    public Task<IActorRef> UserRegionAsync() => _node.UserRegionAsync();

    public async Task<SessionView> SessionAsync(string userId) =>
        await (await UserRegionAsync()).Ask<SessionView>(new GetSession(userId), TimeSpan.FromSeconds(10));

    /// <summary>Graceful stop: drain ingest, hand off users (they checkpoint), leave the cluster.</summary>
    public Task StopAsync() => _node.StopAsync();

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _node.DisposeAsync();
    }
}
