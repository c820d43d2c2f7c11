using Akka.Actor;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Personalization.Node.Hosting;
using Personalization.Tests.Infrastructure;
using Xunit;

namespace Personalization.Tests.Engine;

/// <summary>
/// The shutdown settings nest (the Kafka drain inside service-unbind, the phases inside the total) and are what
/// Akka's coordinated shutdown and the .NET host actually use: Akka's defaults (service-unbind 5 s) cut the drain short.
/// </summary>
public sealed class ShutdownSettingsTests : IClassFixture<EmbeddedKafkaFixture>
{
    private readonly EmbeddedKafkaFixture _kafka;

    public ShutdownSettingsTests(EmbeddedKafkaFixture kafka) => _kafka = kafka;

    [Fact]
    public void The_defaults_nest()
    {
        Assert.Null(NodeConfiguration.ValidateShutdown(new NodeOptions.ShutdownOptions()));
    }

    [Fact]
    public void A_service_unbind_phase_that_would_cut_the_drain_short_is_refused()
    {
        var shutdown = new NodeOptions.ShutdownOptions { DrainTimeoutSeconds = 15, ServiceUnbindTimeoutSeconds = 20 };

        var refusal = NodeConfiguration.ValidateShutdown(shutdown);

        Assert.Equal("Shutdown:ServiceUnbindTimeoutSeconds (20) must exceed Shutdown:DrainTimeoutSeconds (15) + 5 s to commit and close the consumer, or coordinated shutdown cuts the Kafka drain short", refusal);
    }

    [Fact]
    public void A_total_below_its_phases_is_refused()
    {
        var shutdown = new NodeOptions.ShutdownOptions { TotalSeconds = 30 };

        var refusal = NodeConfiguration.ValidateShutdown(shutdown);

        Assert.NotNull(refusal);
        Assert.StartsWith("Shutdown:TotalSeconds (30) must be at least", refusal);
    }

    [Fact]
    public async Task A_node_runs_coordinated_shutdown_and_its_host_with_the_configured_timeouts()
    {
        var topic = _kafka.NewTopic(partitions: 1);
        var options = TestNode.CreateOptions(_kafka.BootstrapServers, topic, 1, "sqlite", EngineTestContext.SqliteConnectionString());
        options.Shutdown.DrainTimeoutSeconds = 7;
        options.Shutdown.ServiceUnbindTimeoutSeconds = 13;
        options.Shutdown.ShardHandOffTimeoutSeconds = 9;
        options.Shutdown.TotalSeconds = 40;

        await using var node = await TestNode.StartAsync(options);
        var coordinated = CoordinatedShutdown.Get(node.System);

        Assert.Equal(TimeSpan.FromSeconds(13), coordinated.Timeout(CoordinatedShutdown.PhaseServiceUnbind));
        Assert.Equal(TimeSpan.FromSeconds(9), coordinated.Timeout(CoordinatedShutdown.PhaseClusterShardingShutdownRegion));
        Assert.Equal(TimeSpan.FromSeconds(40), node.App.Services.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout);
    }
}
