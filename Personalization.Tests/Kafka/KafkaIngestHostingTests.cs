using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Personalization.Actors.Events;
using Personalization.Actors.Kafka;
using Personalization.Actors.Sessions;
using Personalization.Tests.Infrastructure;
using Xunit;

namespace Personalization.Tests.Kafka;

public class KafkaIngestHostingTests(EmbeddedKafkaFixture kafka) : IClassFixture<EmbeddedKafkaFixture>
{
    /// <summary>Stands in for the user shard region: acknowledges every event at once.</summary>
    private sealed class AckingRegion : ReceiveActor
    {
        public AckingRegion(int expected, TaskCompletionSource allApplied)
        {
            var applied = 0;
            Receive<ApplyEvent>(e =>
            {
                e.AckTo!.Tell(new EventsDurable(e.Partition, [e.Offset]));
                if (++applied == expected) allApplied.TrySetResult();
            });
        }
    }

    [Fact]
    public async Task Ingest_starts_with_the_actor_system_and_commits_on_coordinated_shutdown()
    {
        const int partitions = 2, count = 100;
        var topic = kafka.NewTopic(partitions);
        using (var producer = new KafkaEventProducer(kafka.BootstrapServers, topic))
            await producer.ProduceManyAsync(Enumerable.Range(0, count).Select(i => new ListeningEvent($"u{i}", "i", EventType.Like, 1)));
        var settings = kafka.SourceSettings(topic);
        var allApplied = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        using var host = new HostBuilder()
            .ConfigureServices(services => services.AddAkka("hosting-test", builder => builder
                .WithKafkaIngest(settings, partitions, (system, _) => system.ActorOf(Props.Create(() => new AckingRegion(count, allApplied))), TimeSpan.FromSeconds(5))))
            .Build();
        await host.StartAsync();
        await allApplied.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await host.StopAsync(); // coordinated shutdown drains and commits

        Assert.Equal(KafkaTestKit.EndOffsets(kafka.BootstrapServers, topic, partitions).OrderBy(e => e.Key),
            KafkaTestKit.Committed(kafka.BootstrapServers, settings.GroupId, topic, partitions).OrderBy(e => e.Key));
    }
}
