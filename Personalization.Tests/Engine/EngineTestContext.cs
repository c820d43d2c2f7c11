using Personalization.Actors.Kafka.Broker;
using Personalization.Tests.Infrastructure;
using Xunit;

namespace Personalization.Tests.Engine;

/// <summary>One embedded broker and one offline model per test class; every test makes its own topic and store.</summary>
public sealed class EngineTestContext : IDisposable
{
    public EngineTestContext()
    {
        Broker = EmbeddedKafkaBroker.Start(brokers: 1);
        Offline = new OfflineModel(RepositoryPaths.DefaultModel);
    }

    public EmbeddedKafkaBroker Broker { get; }

    public OfflineModel Offline { get; }

    /// <summary>A fresh topic (and its DLQ) with <paramref name="partitions"/> partitions.</summary>
    public string CreateTopic(int partitions) => KafkaTestKit.NewTopic(Broker, partitions);

    public static string SqliteConnectionString() =>
        $"Data Source={Path.Combine(Path.GetTempPath(), "pz-test-" + Guid.NewGuid().ToString("N")[..10] + ".db")}";

    public void Dispose()
    {
        Offline.Dispose();
        Broker.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "postgres";
}
