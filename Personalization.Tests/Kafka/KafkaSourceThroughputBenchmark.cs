using System.Diagnostics;
using Akka.Streams;
using Akka.Streams.Dsl;
using Confluent.Kafka;
using Personalization.Actors.Events;
using Personalization.Actors.Kafka;
using Personalization.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Personalization.Tests.Kafka;

/// <summary>
/// Source throughput against the raw Confluent consumer ceiling on the mock broker (same tuned fetch settings, same
/// data, timed from first to last record). Run: <c>dotnet test Personalization.Tests --filter Category=Benchmark
/// --logger "console;verbosity=detailed"</c>; <c>KAFKA_BENCH_RECORDS</c> sets the size (default 240000 over 12 partitions).
/// </summary>
[Trait("Category", "Benchmark")]
public class KafkaSourceThroughputBenchmark(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit
{
    private const int Partitions = 12;

    [Fact]
    public async Task Source_throughput_compared_with_the_raw_consumer()
    {
        var count = int.TryParse(Environment.GetEnvironmentVariable("KAFKA_BENCH_RECORDS"), out var n) ? n : 240_000;
        using var broker = EmbeddedKafkaBroker.Start();
        var topic = KafkaTestKit.NewTopic(broker, Partitions);
        using (var producer = new KafkaEventProducer(broker.BootstrapServers, topic))
        {
            var produce = Stopwatch.StartNew();
            await producer.ProduceManyAsync(Enumerable.Range(0, count).Select(i =>
                new ListeningEvent($"user-{i % 5000}", $"item-{i % 20000}", EventType.Play, 1_700_000_000_000 + i)));
            output.WriteLine($"produce: {count / produce.Elapsed.TotalSeconds:N0} msg/s");
        }

        var raw = RawConsumerRate(broker, topic, count);
        output.WriteLine($"raw Confluent consumer: {raw:N0} msg/s");
        var noAcks = await SourceRate(broker, topic, count, ack: false);
        output.WriteLine($"KafkaEventSource, no acks: {noAcks:N0} msg/s ({noAcks / raw:P0} of raw)");
        var withAcks = await SourceRate(broker, topic, count, ack: true);
        output.WriteLine($"KafkaEventSource, ack per record: {withAcks:N0} msg/s ({withAcks / raw:P0} of raw)");
    }

    private static double RawConsumerRate(EmbeddedKafkaBroker broker, string topic, int count)
    {
        var config = KafkaTestKit.SourceSettings(broker, topic).ToConsumerConfig();
        using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(config).Build();
        consumer.Assign(Enumerable.Range(0, Partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var received = 0;
        Stopwatch? clock = null;
        long bytes = 0;
        while (received < count)
        {
            var result = consumer.Consume(TimeSpan.FromSeconds(10)) ?? throw new TimeoutException($"raw consumer got {received} of {count}");
            clock ??= Stopwatch.StartNew();
            bytes += result.Message.Value?.Length ?? 0;
            received++;
        }

        return (count - 1) / clock!.Elapsed.TotalSeconds;
    }

    private async Task<double> SourceRate(EmbeddedKafkaBroker broker, string topic, int count, bool ack)
    {
        var settings = KafkaTestKit.SourceSettings(broker, topic) with { MaxInFlightPerPartition = ack ? 10_000 : count };
        var received = 0;
        Stopwatch? clock = null;
        var done = new TaskCompletionSource<TimeSpan>(TaskCreationOptions.RunContinuationsAsynchronously);
        var control = KafkaEventSource.Create(settings)
            .To(Sink.ForEach<ConsumedRecord>(r =>
            {
                clock ??= Stopwatch.StartNew();
                if (ack) r.Ack();
                if (++received == count) done.TrySetResult(clock.Elapsed);
            }))
            .Run(Sys.Materializer());
        var elapsed = await done.Task.WaitAsync(TimeSpan.FromMinutes(2));
        await control.ShutdownAsync();
        return (count - 1) / elapsed.TotalSeconds;
    }
}
