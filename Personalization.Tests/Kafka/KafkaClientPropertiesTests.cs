using System.Text;
using Confluent.Kafka;
using Microsoft.Extensions.Configuration;
using Personalization.Actors.Kafka;
using Personalization.Actors.Kafka.Producers;
using Personalization.Actors.Kafka.Source;
using Personalization.Node.Hosting;
using Xunit;

namespace Personalization.Tests.Kafka;

/// <summary>
/// Kafka:Config reaches every Kafka client (consumer, event producer, DLQ producer) as librdkafka properties, in
/// every key spelling configuration can carry; what the engine relies on cannot be overridden; secrets are never printed.
/// </summary>
public sealed class KafkaClientPropertiesTests
{
    private static readonly Dictionary<string, string> ManagedKafka = new()
    {
        ["security.protocol"] = "SASL_SSL",
        ["sasl.mechanism"] = "SCRAM-SHA-512",
        ["sasl.username"] = "personalization",
        ["sasl.password"] = "hunter2",
        ["ssl.ca.location"] = "/etc/kafka/ca.pem",
    };

    [Fact]
    public void The_consumer_config_carries_the_properties_and_keeps_what_the_source_relies_on()
    {
        var config = new KafkaSourceSettings { BootstrapServers = "b:9092", Topic = "t", GroupId = "g", ConsumerConfig = ManagedKafka }.ToConsumerConfig();

        foreach (var (key, value) in ManagedKafka) Assert.Equal(value, config.Get(key));
        Assert.False(config.EnableAutoCommit);
        Assert.Equal("g", config.GroupId);
        Assert.Equal("cooperative-sticky", config.Get("partition.assignment.strategy"));
    }

    [Fact]
    public void The_producer_config_of_the_event_and_DLQ_producers_carries_the_properties_and_keeps_what_routing_relies_on()
    {
        var config = KafkaEventProducer.CreateConfig("b:9092", "personalization-events", ManagedKafka);

        foreach (var (key, value) in ManagedKafka) Assert.Equal(value, config.Get(key));
        Assert.Equal(Partitioner.Murmur2Random, config.Partitioner);
        Assert.Equal(Acks.All, config.Acks);
        Assert.True(config.EnableIdempotence);
    }

    /// <summary>librdkafka checks every property when a client is built: a value it rejects proves the property got there.</summary>
    [Fact]
    public void The_event_producer_and_the_DLQ_producer_hand_the_properties_to_librdkafka()
    {
        var bogus = new Dictionary<string, string> { ["security.protocol"] = "carrier-pigeon" };

        var events = Assert.ThrowsAny<Exception>(() => new KafkaEventProducer("127.0.0.1:1", "t", bogus).Dispose());
        var deadLetters = Assert.ThrowsAny<Exception>(() => new DeadLetterProducer("127.0.0.1:1", properties: bogus).Dispose());

        Assert.Contains("security.protocol", events.Message);
        Assert.Contains("security.protocol", deadLetters.Message);
    }

    [Theory]
    [InlineData("enable.auto.commit", "true", "offsets are committed only up to events that are durable")]
    [InlineData("enable_auto_offset_store", "true", "offsets are committed only up to events that are durable")]
    [InlineData("group.id", "other", "set Kafka:GroupId instead")]
    [InlineData("bootstrap.servers", "elsewhere:9092", "set Kafka:BootstrapServers instead")]
    [InlineData("partition.assignment.strategy", "range", "incremental assignment")]
    [InlineData("partitioner", "consistent_random", "murmur2 of the user id")]
    [InlineData("acks", "1", "every in-sync replica")]
    [InlineData("enable.idempotence", "false", "never duplicate or reorder")]
    public void A_node_refuses_to_start_with_an_override_of_what_the_engine_relies_on(string key, string value, string reason)
    {
        var options = new NodeOptions();
        options.Kafka.Config[key] = value;

        var refusal = NodeConfiguration.Validate(options);

        Assert.NotNull(refusal);
        Assert.StartsWith($"Kafka:Config:{KafkaClientProperties.NormalizeKey(key)}={value} is refused: the ", refusal);
        Assert.Contains(reason, refusal);
    }

    [Theory]
    [InlineData("enable.auto.commit", "false")]
    [InlineData("acks", "-1")]
    [InlineData("partitioner", "murmur2_random")]
    [InlineData("security.protocol", "SASL_SSL")]
    public void A_node_accepts_properties_that_leave_what_the_engine_relies_on_as_it_is(string key, string value)
    {
        var options = new NodeOptions();
        options.Kafka.Config[key] = value;

        Assert.Null(NodeConfiguration.Validate(options));
    }

    [Fact]
    public void Environment_variables_may_spell_the_dots_of_a_property_as_dots_underscores_or_nested_sections()
    {
        var prefix = $"PZTEST{Guid.NewGuid():N}_";
        var variables = new Dictionary<string, string>
        {
            [prefix + "Personalization__Kafka__Config__security.protocol"] = "SASL_SSL", // Kubernetes env and execve allow '.'
            [prefix + "Personalization__Kafka__Config__sasl_mechanism"] = "PLAIN", // any shell
            [prefix + "Personalization__Kafka__Config__sasl__username"] = "personalization", // ASP.NET-style nesting
        };
        try
        {
            foreach (var (name, value) in variables) Environment.SetEnvironmentVariable(name, value);

            var options = NodeConfiguration.FromConfiguration(new ConfigurationBuilder().AddEnvironmentVariables(prefix).Build());

            Assert.Equal(
                new Dictionary<string, string> { ["security.protocol"] = "SASL_SSL", ["sasl.mechanism"] = "PLAIN", ["sasl.username"] = "personalization" },
                options.Kafka.Config);
        }
        finally
        {
            foreach (var name in variables.Keys) Environment.SetEnvironmentVariable(name, null);
        }
    }

    [Fact]
    public void Appsettings_may_write_a_property_as_a_dotted_key_or_as_nested_objects()
    {
        const string json = """
            { "Personalization": { "Kafka": { "Config": { "security.protocol": "SSL", "ssl": { "ca": { "location": "/etc/kafka/ca.pem" } } } } } }
            """;

        var options = NodeConfiguration.FromConfiguration(new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build());

        Assert.Equal(new Dictionary<string, string> { ["security.protocol"] = "SSL", ["ssl.ca.location"] = "/etc/kafka/ca.pem" }, options.Kafka.Config);
    }

    [Fact]
    public void Described_for_a_log_every_secret_is_redacted_and_everything_else_shown()
    {
        var described = KafkaClientProperties.Describe(new Dictionary<string, string>(ManagedKafka)
        {
            ["ssl.key.password"] = "k3y",
            ["ssl.keystore.password"] = "st0re",
            ["ssl.key.pem"] = "-----BEGIN PRIVATE KEY-----",
            ["sasl.oauthbearer.client.secret"] = "0auth",
            ["sasl.oauthbearer.config"] = "principal=pz secret=xyz",
        });

        foreach (var secret in new[] { "hunter2", "k3y", "st0re", "PRIVATE KEY", "0auth", "xyz" }) Assert.DoesNotContain(secret, described);
        Assert.Contains("sasl.password=[redacted]", described);
        Assert.Contains("sasl.username=personalization", described);
        Assert.Contains("security.protocol=SASL_SSL", described);
    }
}
