using Personalization.Actors.Kafka;
using Personalization.Actors.Kafka.Broker;
using Personalization.Tests.Engine;
using Personalization.Tests.Infrastructure;
using Xunit;

namespace Personalization.Tests.Http;

/// <summary>One embedded broker and one whole node (default HTTP limits) for a test class that only talks HTTP.</summary>
public sealed class HttpNodeFixture : IAsyncLifetime
{
    public const int Partitions = 2;

    public EmbeddedKafkaBroker Broker { get; private set; } = null!;

    public TestNode Node { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Broker = EmbeddedKafkaBroker.Start(brokers: 1);
        Node = await TestNode.StartAsync(TestNode.CreateOptions(
            Broker.BootstrapServers, KafkaTestKit.NewTopic(Broker, Partitions), Partitions, "sqlite", EngineTestContext.SqliteConnectionString()));
    }

    public async Task DisposeAsync()
    {
        await Node.DisposeAsync();
        Broker.Dispose();
    }
}
