using Akka.Actor;
using Akka.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Personalization.Actors.Sharding;
using Personalization.Node.Hosting;

namespace Personalization.Node.Local;

/// <summary>
/// A whole node — the production composition root, <see cref="EngineHost.Build"/> — inside the calling process, started
/// and ready (Up, model loaded, consuming). Tests and the load tool run nodes this way; its HTTP port is the real one
/// when the options ask for port 0.
/// </summary>
public sealed class InProcessNode : IAsyncDisposable
{
    private InProcessNode(WebApplication app, NodeOptions options)
    {
        App = app;
        Options = options;
        BaseAddress = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    }

    public WebApplication App { get; }

    public NodeOptions Options { get; }

    /// <summary>http://127.0.0.1:&lt;port&gt; as bound.</summary>
    public string BaseAddress { get; }

    public ActorSystem System => App.Services.GetRequiredService<ActorSystem>();

    public Task<IActorRef> UserRegionAsync() => App.Services.GetRequiredService<IRequiredActor<UserShardRegion>>().GetAsync();

    /// <summary>Builds, starts and waits until ready; the engine logs warnings only. <paramref name="configure"/> may replace services (tests).</summary>
    public static async Task<InProcessNode> StartAsync(NodeOptions options, TimeSpan readyTimeout, Action<WebApplicationBuilder>? configure = null)
    {
        var app = EngineHost.Build(options, b =>
        {
            b.Logging.SetMinimumLevel(LogLevel.Warning);
            configure?.Invoke(b);
        });
        await app.StartAsync();
        await NodeReadiness.WaitUntilReadyAsync(app.Services, readyTimeout, CancellationToken.None);
        return new InProcessNode(app, options);
    }

    /// <summary>Graceful stop: drain ingest, hand users off (they checkpoint), leave the cluster.</summary>
    public Task StopAsync(CancellationToken cancellationToken = default) => App.StopAsync(cancellationToken);

    public async ValueTask DisposeAsync() => await App.DisposeAsync();
}
