using Confluent.Kafka;

namespace Personalization.Actors.Kafka.Broker;

/// <summary>
/// An in-process Kafka cluster (librdkafka's mock broker): real Kafka protocol on 127.0.0.1 with random ports, for
/// the demo and tests. Limits: ~5 MiB or 100k messages per partition (oldest silently dropped), nothing survives
/// <see cref="Dispose"/>, partial admin API (never call ListConsumerGroups against it: it crashes the process).
/// Faults: brokers down/up, injected request errors, partition leader moves, round-trip delay.
/// </summary>
public sealed class EmbeddedKafkaBroker : IDisposable
{
    private readonly Lock _gate = new();
    private IntPtr _handle;
    private IntPtr _cluster;

    private EmbeddedKafkaBroker(IntPtr handle, IntPtr cluster, int brokerCount)
    {
        _handle = handle;
        _cluster = cluster;
        BrokerCount = brokerCount;
        BootstrapServers = LibrdkafkaMockNative.Bootstraps(cluster);
    }

    /// <summary><c>127.0.0.1:port,…</c>, one per broker (broker ids are 1..<see cref="BrokerCount"/>).</summary>
    public string BootstrapServers { get; }

    public int BrokerCount { get; }

    /// <summary>
    /// Starts a cluster of <paramref name="brokers"/> brokers. Consumer groups start rebalancing at once
    /// (<paramref name="initialRebalanceDelayMs"/>, Kafka's group.initial.rebalance.delay.ms, defaults to 0 here).
    /// </summary>
    public static EmbeddedKafkaBroker Start(int brokers = 1, int initialRebalanceDelayMs = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(brokers, 1);
        LibrdkafkaLoader.EnsureLoaded();
        var handle = LibrdkafkaMockNative.NewProducerHandle(new Dictionary<string, string>
        {
            ["client.id"] = "embedded-kafka-broker",
            ["log_level"] = "3",
        });
        var cluster = LibrdkafkaMockNative.ClusterNew(handle, brokers);
        if (cluster == IntPtr.Zero)
        {
            LibrdkafkaMockNative.DestroyHandle(handle);
            throw new InvalidOperationException("rd_kafka_mock_cluster_new failed");
        }

        var broker = new EmbeddedKafkaBroker(handle, cluster, brokers);
        broker.SetGroupInitialRebalanceDelay(initialRebalanceDelayMs);
        return broker;
    }

    public void CreateTopic(string name, int partitions, int replicationFactor = 1)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        Check(LibrdkafkaMockNative.TopicCreate(Cluster, name, partitions, Math.Min(replicationFactor, BrokerCount)), $"create topic {name}");
    }

    /// <summary>Disconnects broker <paramref name="brokerId"/> (1-based; -1 = all) and refuses new connections. Leaders do not move.</summary>
    public void SetBrokerDown(int brokerId) => Check(LibrdkafkaMockNative.BrokerSetDown(Cluster, brokerId), $"set broker {brokerId} down");

    public void SetBrokerUp(int brokerId) => Check(LibrdkafkaMockNative.BrokerSetUp(Cluster, brokerId), $"set broker {brokerId} up");

    /// <summary>Delays every response of broker <paramref name="brokerId"/> (-1 = all) by <paramref name="rttMs"/>.</summary>
    public void SetBrokerRoundTripTime(int brokerId, int rttMs) => Check(LibrdkafkaMockNative.BrokerSetRtt(Cluster, brokerId, rttMs), $"set rtt of broker {brokerId}");

    /// <summary>The next <c>errors.Length</c> requests of type <paramref name="apiKey"/> fail with these errors, in order.</summary>
    public void PushRequestErrors(KafkaApiKey apiKey, params ErrorCode[] errors)
    {
        var codes = new int[errors.Length];
        for (var i = 0; i < errors.Length; i++) codes[i] = (int)errors[i];
        LibrdkafkaMockNative.PushRequestErrors(Cluster, (short)apiKey, codes);
    }

    public void ClearRequestErrors(KafkaApiKey apiKey) => LibrdkafkaMockNative.ClearRequestErrors(Cluster, (short)apiKey);

    /// <summary>Moves the leadership of one partition (creates the topic if needed); -1 makes it leader-less.</summary>
    public void SetPartitionLeader(string topic, int partition, int brokerId) =>
        Check(LibrdkafkaMockNative.PartitionSetLeader(Cluster, topic, partition, brokerId), $"set leader of {topic}[{partition}]");

    public void SetGroupInitialRebalanceDelay(int delayMs) => LibrdkafkaMockNative.GroupInitialRebalanceDelay(Cluster, delayMs);

    public void Dispose()
    {
        lock (_gate)
        {
            if (_cluster == IntPtr.Zero) return;
            LibrdkafkaMockNative.ClusterDestroy(_cluster);
            LibrdkafkaMockNative.DestroyHandle(_handle);
            _cluster = IntPtr.Zero;
            _handle = IntPtr.Zero;
        }
    }

    public override string ToString() => $"EmbeddedKafkaBroker({BrokerCount} brokers at {BootstrapServers})";

    private IntPtr Cluster => _cluster != IntPtr.Zero ? _cluster : throw new ObjectDisposedException(nameof(EmbeddedKafkaBroker));

    private static void Check(int error, string what)
    {
        if (error != 0) throw new KafkaException(new Error((ErrorCode)error, $"embedded broker: {what} failed: {(ErrorCode)error}"));
    }
}

/// <summary>Kafka protocol request types (the ones worth injecting errors into).</summary>
public enum KafkaApiKey : short
{
    Produce = 0,
    Fetch = 1,
    ListOffsets = 2,
    Metadata = 3,
    OffsetCommit = 8,
    OffsetFetch = 9,
    FindCoordinator = 10,
    JoinGroup = 11,
    Heartbeat = 12,
    LeaveGroup = 13,
    SyncGroup = 14,
    InitProducerId = 22,
}
