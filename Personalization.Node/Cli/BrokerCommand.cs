using System.CommandLine;
using Personalization.Actors.Kafka.Broker;
namespace Personalization.Node.Cli;

/// <summary>
/// `broker`: librdkafka's mock cluster as a process of its own (real Kafka protocol, in memory), so local nodes can
/// be killed and restarted without losing the broker. Prints the bootstrap address and writes it to --address-file.
/// </summary>
public static class BrokerCommand
{
    public static Command Create()
    {
        var brokers = new Option<int>("--brokers") { Description = "mock brokers in the cluster", DefaultValueFactory = _ => 3 };
        var topic = new Option<string>("--topic") { Description = "events topic to create", DefaultValueFactory = _ => "listening-events" };
        var partitions = new Option<int>("--partitions") { Description = "partitions of the events topic", DefaultValueFactory = _ => 12 };
        var addressFile = new Option<string?>("--address-file") { Description = "write the bootstrap address to this file once ready" };
        var availability = new Option<string>("--availability-topic") { Description = "item availability topic to create", DefaultValueFactory = _ => "item-availability" };
        var command = new Command("broker", "Run an embedded Kafka broker (librdkafka mock cluster) until stopped") { brokers, topic, partitions, addressFile, availability };
        command.SetAction(async (result, ct) =>
        {
            if (result.GetValue(partitions) < 1 || result.GetValue(brokers) < 1)
            {
                Console.Error.WriteLine("broker: --brokers and --partitions must be at least 1");
                return 2;
            }

            using var broker = EmbeddedKafkaBroker.Start(result.GetValue(brokers));
            var name = result.GetValue(topic)!;
            broker.CreateTopic(name, result.GetValue(partitions), Math.Min(3, result.GetValue(brokers)));
            broker.CreateTopic(name + ".dlq", 1, Math.Min(3, result.GetValue(brokers)));
            var availabilityTopic = result.GetValue(availability)!;
            broker.CreateTopic(availabilityTopic, 1, Math.Min(3, result.GetValue(brokers)));
            broker.CreateTopic(availabilityTopic + ".dlq", 1, Math.Min(3, result.GetValue(brokers)));
            Console.WriteLine($"broker: {broker.BootstrapServers} topics {name} ({result.GetValue(partitions)} partitions), {name}.dlq, {availabilityTopic}, {availabilityTopic}.dlq");
            if (result.GetValue(addressFile) is { } file) await File.WriteAllTextAsync(file, broker.BootstrapServers, ct);
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
            }

            return 0;
        });
        return command;
    }
}
