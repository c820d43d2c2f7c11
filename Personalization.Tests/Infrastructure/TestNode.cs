using Akka.Actor;
using Akka.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Personalization.Actors.Sessions;
using Personalization.Actors.Sharding;
using Personalization.Node.Hosting;

namespace Personalization.Tests.Infrastructure;

/// <summary>A whole node (the production composition root) in the test process, on free ports.</summary>
public sealed class TestNode : IAsyncDisposable
{
    private TestNode(WebApplication app, NodeOptions options)
    {
        App = app;
        Options = options;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Http = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(30) };
    }

    public WebApplication App { get; }

    public NodeOptions Options { get; }

    public HttpClient Http { get; }

    public ActorSystem System => App.Services.GetRequiredService<ActorSystem>();

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
        options.Store.Provider = storeProvider;
        options.Store.ConnectionString = connectionString;
        options.Model.Path = RepositoryPaths.DefaultModel;
        options.Sessions.CheckpointIntervalSeconds = 0.2;
        options.Sessions.CheckpointEveryEvents = 50;
        options.Sessions.SnapshotEveryCheckpoints = 5;
        return options;
    }

    public static async Task<TestNode> StartAsync(NodeOptions options)
    {
        var app = EngineHost.Build(options, b => b.Logging.SetMinimumLevel(LogLevel.Warning));
        await app.StartAsync();
        await NodeReadiness.WaitUntilReadyAsync(app.Services, TimeSpan.FromSeconds(60), CancellationToken.None);
        return new TestNode(app, options);
    }

    public async Task<IActorRef> UserRegionAsync() =>
        await App.Services.GetRequiredService<IRequiredActor<UserShardRegion>>().GetAsync();

    public async Task<SessionView> SessionAsync(string userId) =>
        await (await UserRegionAsync()).Ask<SessionView>(new GetSession(userId), TimeSpan.FromSeconds(10));

    /// <summary>Graceful stop: drain ingest, hand off users (they checkpoint), leave the cluster.</summary>
    public async Task StopAsync()
    {
        await App.StopAsync();
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.DisposeAsync();
    }
}
