using System.Globalization;
using Confluent.Kafka;

namespace Personalization.Actors.Kafka;

/// <summary>
/// Arbitrary librdkafka properties for every Kafka client of a node (the consumer, the event producer, the DLQ
/// producer): TLS, SASL (PLAIN, SCRAM, OAUTHBEARER), timeouts, whatever a managed Kafka needs. Applied over our own
/// settings, except the ones our code relies on (<see cref="ConsumerOwned"/>, <see cref="ProducerOwned"/>): an
/// override of those that changes them is refused with a sentence, because the client would run but break an
/// invariant (offsets committed before the event is durable, events routed to another user's shard, …).
/// </summary>
public static class KafkaClientProperties
{
    /// <summary>A property our code sets, the value it relies on, and why (or where to set it instead).</summary>
    public sealed record Owned(string Key, string Value, string Reason);

    public static readonly IReadOnlyList<Owned> ConsumerOwned =
    [
        new("bootstrap.servers", "", "set Kafka:BootstrapServers instead"),
        new("metadata.broker.list", "", "set Kafka:BootstrapServers instead"),
        new("group.id", "", "set Kafka:GroupId instead"),
        new("enable.auto.commit", "false", "offsets are committed only up to events that are durable"),
        new("enable.auto.offset.store", "false", "offsets are committed only up to events that are durable"),
        new("enable.partition.eof", "false", "the poll loop does not expect end-of-partition events"),
        new("partition.assignment.strategy", "cooperative-sticky", "rebalances move only the partitions that change owner (incremental assignment)"),
    ];

    public static readonly IReadOnlyList<Owned> ProducerOwned =
    [
        new("bootstrap.servers", "", "set Kafka:BootstrapServers instead"),
        new("metadata.broker.list", "", "set Kafka:BootstrapServers instead"),
        new("partitioner", "murmur2_random", "an event's partition must be its user's shard (murmur2 of the user id)"),
        new("acks", "all", "a produced event counts as accepted only once every in-sync replica has it"),
        new("request.required.acks", "all", "a produced event counts as accepted only once every in-sync replica has it"),
        new("enable.idempotence", "true", "retries must never duplicate or reorder events"),
    ];

    /// <summary>
    /// The librdkafka name of a configured key. Environment variable names cannot hold '.' in most shells, so '_'
    /// stands for '.' (librdkafka names have no '_'), and so does a nested section ("security:protocol" from
    /// <c>Config__security__protocol</c>): <c>security.protocol</c>, <c>security_protocol</c> and
    /// <c>security__protocol</c> are the same property.
    /// </summary>
    public static string NormalizeKey(string key) => key.Trim().Replace(':', '.').Replace('_', '.').ToLowerInvariant();

    /// <summary>Configured pairs (keys in any of the accepted spellings) as librdkafka properties; empty values are dropped.</summary>
    public static Dictionary<string, string> Normalize(IEnumerable<KeyValuePair<string, string?>> configured)
    {
        var properties = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in configured)
            if (!string.IsNullOrEmpty(value)) properties[NormalizeKey(key)] = value;
        return properties;
    }

    /// <summary>A sentence naming the first property that would change what <paramref name="owned"/> relies on, or null.</summary>
    public static string? Refusal(IReadOnlyDictionary<string, string>? properties, IReadOnlyList<Owned> owned, string client)
    {
        if (properties is null) return null;
        foreach (var (key, value) in Normalize(properties.Select(p => KeyValuePair.Create(p.Key, (string?)p.Value))))
        {
            var rule = owned.FirstOrDefault(o => o.Key == key);
            if (rule is null || (rule.Value.Length > 0 && SameValue(key, value, rule.Value))) continue;
            var relied = rule.Value.Length > 0 ? $"relies on {key}={rule.Value}: {rule.Reason}" : rule.Reason;
            return $"Kafka:Config:{key}={value} is refused: the {client} {relied}";
        }

        return null;
    }

    /// <summary>Checks (<see cref="Refusal"/>, thrown as <see cref="ArgumentException"/>) and applies the properties over <paramref name="config"/>.</summary>
    public static void Apply(ClientConfig config, IReadOnlyDictionary<string, string>? properties, IReadOnlyList<Owned> owned, string client)
    {
        if (Refusal(properties, owned, client) is { } refusal) throw new ArgumentException(refusal, nameof(properties));
        if (properties is null) return;
        foreach (var (key, value) in Normalize(properties.Select(p => KeyValuePair.Create(p.Key, (string?)p.Value)))) config.Set(key, value);
    }

    /// <summary>Properties our code must never print the value of (passwords, private keys, OAuth secrets, JAAS-style strings).</summary>
    public static bool IsSecret(string key)
    {
        var k = NormalizeKey(key);
        return k.Contains("password", StringComparison.Ordinal)
            || k.Contains("secret", StringComparison.Ordinal)
            || k.EndsWith("key.pem", StringComparison.Ordinal)
            || (k.Contains("token", StringComparison.Ordinal) && !k.EndsWith(".url", StringComparison.Ordinal))
            || k is "sasl.oauthbearer.config" or "sasl.jaas.config";
    }

    /// <summary>"key=value, …" in key order with every secret's value replaced by <c>[redacted]</c>: the only form to log.</summary>
    public static string Describe(IEnumerable<KeyValuePair<string, string>> properties) =>
        string.Join(", ", properties
            .Select(p => KeyValuePair.Create(NormalizeKey(p.Key), p.Value))
            .OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => $"{p.Key}={(IsSecret(p.Key) ? "[redacted]" : p.Value)}"));

    private static bool SameValue(string key, string configured, string ours)
    {
        if (string.Equals(configured.Trim(), ours, StringComparison.OrdinalIgnoreCase)) return true;
        // librdkafka spells acks=all also as -1.
        return key is "acks" or "request.required.acks" && configured.Trim() == (-1).ToString(CultureInfo.InvariantCulture);
    }
}
