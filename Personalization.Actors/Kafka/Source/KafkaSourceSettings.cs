using Confluent.Kafka;

namespace Personalization.Actors.Kafka.Source;

/// <summary>
/// Settings of one <see cref="KafkaEventSource"/>: a group member consuming one topic. Defaults carry the fetch
/// tuning measured on the mock broker (~3× the throughput of librdkafka's defaults); <see cref="ConsumerConfig"/>
/// entries override anything derived here.
/// </summary>
public sealed record KafkaSourceSettings
{
    public required string BootstrapServers { get; init; }
    public required string Topic { get; init; }
    public required string GroupId { get; init; }
    public string ClientId { get; init; } = "personalization";

    /// <summary>Emitted-but-unacknowledged records per partition; emission stops and the partition is paused at this
    /// count, and resumes below half of it.</summary>
    public int MaxInFlightPerPartition { get; init; } = 10_000;

    /// <summary>Records fetched but not yet emitted, across partitions; above it fetching stops (all partitions pause
    /// if the stall lasts), below half it resumes.</summary>
    public int MaxBufferedRecords { get; init; } = 20_000;

    /// <summary>Most records handed from the poll thread to the stage at once.</summary>
    public int MaxFetchBatch { get; init; } = 2_000;

    /// <summary>How often acknowledged prefixes are committed.</summary>
    public TimeSpan CommitInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Longest a poll blocks; bounds the latency of pause/resume/shutdown requests to the poll thread.</summary>
    public TimeSpan PollTimeout { get; init; } = TimeSpan.FromMilliseconds(50);

    public int SessionTimeoutMs { get; init; } = 10_000;

    /// <summary>Nice steps of the poll thread below the process (0: same); a node that serves queries polls below their priority.</summary>
    public int PollThreadNice { get; init; }

    /// <summary>Longest the broker holds a fetch that found too little data (librdkafka's fetch.wait.max.ms).</summary>
    public int FetchWaitMaxMs { get; init; } = 10;

    /// <summary>
    /// When a partition's oldest unacknowledged record has waited this long with no progress, the partition is read
    /// again from it (users drop what they already applied). Covers events lost on the way to a user that nobody
    /// reported; must exceed the users' checkpoint interval by a good margin.
    /// </summary>
    public TimeSpan RedeliveryTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// cooperative-sticky by default: on a rebalance only the partitions that move stop and are handed over; the
    /// others keep flowing and their shards stay put (eager "range" would revoke everything on every join).
    /// </summary>
    public string PartitionAssignmentStrategy { get; init; } = "cooperative-sticky";

    public AutoOffsetReset AutoOffsetReset { get; init; } = AutoOffsetReset.Earliest;

    /// <summary>
    /// Raw librdkafka properties applied last (TLS, SASL, tuning): they override everything above except what the
    /// source relies on (<see cref="KafkaClientProperties.ConsumerOwned"/>), which is refused.
    /// </summary>
    public IReadOnlyDictionary<string, string> ConsumerConfig { get; init; } = new Dictionary<string, string>();

    /// <summary>Told every client error (on the poll thread; keep it short), e.g. for a readiness check to show the last one.</summary>
    public Action<string>? OnClientError { get; init; }

    public void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(BootstrapServers);
        ArgumentException.ThrowIfNullOrWhiteSpace(Topic);
        ArgumentException.ThrowIfNullOrWhiteSpace(GroupId);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxInFlightPerPartition, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(PollThreadNice, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(PollThreadNice, 19);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBufferedRecords, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxFetchBatch, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(CommitInterval, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RedeliveryTimeout, TimeSpan.Zero);
        if (KafkaClientProperties.Refusal(ConsumerConfig, KafkaClientProperties.ConsumerOwned, "consumer") is { } refusal)
            throw new ArgumentException(refusal, nameof(ConsumerConfig));
    }

    /// <summary>The Confluent consumer configuration: explicit commits only (never beyond the acknowledged prefix).</summary>
    public ConsumerConfig ToConsumerConfig()
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = BootstrapServers,
            GroupId = GroupId,
            ClientId = ClientId,
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
            AutoOffsetReset = AutoOffsetReset,
            SessionTimeoutMs = SessionTimeoutMs,
            HeartbeatIntervalMs = Math.Max(100, SessionTimeoutMs / 3),
            EnablePartitionEof = false,
            QueuedMinMessages = 1_000_000,
            MaxPartitionFetchBytes = 10 * 1024 * 1024,
        };
        config.Set("partition.assignment.strategy", PartitionAssignmentStrategy);
        config.Set("fetch.queue.backoff.ms", "10");
        // Freshness: a fetch that finds less than fetch.min.bytes waits up to fetch.wait.max.ms (500 by default) on the
        // broker; at moderate rates every partition's records then arrive in half-second lumps. Under load fetches are
        // full and return at once, so a short wait costs nothing there.
        config.FetchWaitMaxMs = FetchWaitMaxMs;
        KafkaClientProperties.Apply(config, ConsumerConfig, KafkaClientProperties.ConsumerOwned, "consumer");
        return config;
    }
}
