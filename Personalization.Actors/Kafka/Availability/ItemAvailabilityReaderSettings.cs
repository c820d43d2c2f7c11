namespace Personalization.Actors.Kafka.Availability;

/// <summary>Where <see cref="ItemAvailabilityReader"/> reads and how often it looks again.</summary>
public sealed record ItemAvailabilityReaderSettings
{
    public required string BootstrapServers { get; init; }

    /// <summary>The compacted availability topic (key = item id).</summary>
    public required string Topic { get; init; }

    /// <summary>librdkafka properties (TLS, SASL, …) over ours, as for every client of the node.</summary>
    public IReadOnlyDictionary<string, string>? Properties { get; init; }

    public string ClientId { get; init; } = "personalization-availability";

    /// <summary>How often the topic's partitions are looked up: a topic created after the start, partitions added.</summary>
    public TimeSpan MetadataInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>While the start-up backlog is read, what was applied is published at least this often.</summary>
    public TimeSpan BacklogPublishInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>After a consumer failure, the wait before a new one reads the topic again; doubled up to 30 s.</summary>
    public TimeSpan RestartBackoff { get; init; } = TimeSpan.FromSeconds(1);
}
