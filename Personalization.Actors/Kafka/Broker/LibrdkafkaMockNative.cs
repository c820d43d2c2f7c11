using System.Runtime.InteropServices;
using System.Text;

namespace Personalization.Actors.Kafka.Broker;

/// <summary>
/// The few librdkafka C functions the embedded broker needs, bound by function pointer to the very library handle
/// Confluent.Kafka uses (<see cref="LibrdkafkaLoader.Handle"/>), so no second copy of librdkafka is loaded and no
/// process-wide DllImport resolver is claimed for this assembly. Signatures follow rdkafka.h / rdkafka_mock.h.
/// </summary>
internal static unsafe class LibrdkafkaMockNative
{
    public const int ProducerType = 0; // RD_KAFKA_PRODUCER

    private static readonly IntPtr Lib = LibrdkafkaLoader.Handle;

    private static IntPtr Fn(string name) => NativeLibrary.GetExport(Lib, name);

    private static readonly delegate* unmanaged[Cdecl]<IntPtr> ConfNewFn = (delegate* unmanaged[Cdecl]<IntPtr>)Fn("rd_kafka_conf_new");
    private static readonly delegate* unmanaged[Cdecl]<IntPtr, byte*, byte*, byte*, nuint, int> ConfSetFn = (delegate* unmanaged[Cdecl]<IntPtr, byte*, byte*, byte*, nuint, int>)Fn("rd_kafka_conf_set");
    private static readonly delegate* unmanaged[Cdecl]<IntPtr, void> ConfDestroyFn = (delegate* unmanaged[Cdecl]<IntPtr, void>)Fn("rd_kafka_conf_destroy");
    private static readonly delegate* unmanaged[Cdecl]<int, IntPtr, byte*, nuint, IntPtr> NewFn = (delegate* unmanaged[Cdecl]<int, IntPtr, byte*, nuint, IntPtr>)Fn("rd_kafka_new");
    private static readonly delegate* unmanaged[Cdecl]<IntPtr, void> DestroyFn = (delegate* unmanaged[Cdecl]<IntPtr, void>)Fn("rd_kafka_destroy");
    private static readonly delegate* unmanaged[Cdecl]<IntPtr, int, IntPtr> ClusterNewFn = (delegate* unmanaged[Cdecl]<IntPtr, int, IntPtr>)Fn("rd_kafka_mock_cluster_new");
    private static readonly delegate* unmanaged[Cdecl]<IntPtr, void> ClusterDestroyFn = (delegate* unmanaged[Cdecl]<IntPtr, void>)Fn("rd_kafka_mock_cluster_destroy");
    private static readonly delegate* unmanaged[Cdecl]<IntPtr, IntPtr> BootstrapsFn = (delegate* unmanaged[Cdecl]<IntPtr, IntPtr>)Fn("rd_kafka_mock_cluster_bootstraps");
    private static readonly delegate* unmanaged[Cdecl]<IntPtr, byte*, int, int, int> TopicCreateFn = (delegate* unmanaged[Cdecl]<IntPtr, byte*, int, int, int>)Fn("rd_kafka_mock_topic_create");
    private static readonly delegate* unmanaged[Cdecl]<IntPtr, int, int> BrokerDownFn = (delegate* unmanaged[Cdecl]<IntPtr, int, int>)Fn("rd_kafka_mock_broker_set_down");
    private static readonly delegate* unmanaged[Cdecl]<IntPtr, int, int> BrokerUpFn = (delegate* unmanaged[Cdecl]<IntPtr, int, int>)Fn("rd_kafka_mock_broker_set_up");
    private static readonly delegate* unmanaged[Cdecl]<IntPtr, int, int, int> BrokerRttFn = (delegate* unmanaged[Cdecl]<IntPtr, int, int, int>)Fn("rd_kafka_mock_broker_set_rtt");
    private static readonly delegate* unmanaged[Cdecl]<IntPtr, short, nuint, int*, void> PushErrorsFn = (delegate* unmanaged[Cdecl]<IntPtr, short, nuint, int*, void>)Fn("rd_kafka_mock_push_request_errors_array");
    private static readonly delegate* unmanaged[Cdecl]<IntPtr, short, void> ClearErrorsFn = (delegate* unmanaged[Cdecl]<IntPtr, short, void>)Fn("rd_kafka_mock_clear_request_errors");
    private static readonly delegate* unmanaged[Cdecl]<IntPtr, byte*, int, int, int> SetLeaderFn = (delegate* unmanaged[Cdecl]<IntPtr, byte*, int, int, int>)Fn("rd_kafka_mock_partition_set_leader");
    private static readonly delegate* unmanaged[Cdecl]<IntPtr, int, void> RebalanceDelayFn = (delegate* unmanaged[Cdecl]<IntPtr, int, void>)Fn("rd_kafka_mock_group_initial_rebalance_delay_ms");

    /// <summary>A producer handle with the given properties; it owns the mock cluster created on it.</summary>
    public static IntPtr NewProducerHandle(IReadOnlyDictionary<string, string> properties)
    {
        var conf = ConfNewFn();
        var error = stackalloc byte[512];
        foreach (var (name, value) in properties)
        {
            using var n = new Utf8(name);
            using var v = new Utf8(value);
            if (ConfSetFn(conf, n.P, v.P, error, 512) != 0)
            {
                ConfDestroyFn(conf);
                throw new InvalidOperationException($"librdkafka refused {name}={value}: {Marshal.PtrToStringUTF8((IntPtr)error)}");
            }
        }

        var rk = NewFn(ProducerType, conf, error, 512); // takes ownership of conf on success
        if (rk == IntPtr.Zero)
        {
            ConfDestroyFn(conf);
            throw new InvalidOperationException($"rd_kafka_new failed: {Marshal.PtrToStringUTF8((IntPtr)error)}");
        }

        return rk;
    }

    public static void DestroyHandle(IntPtr rk) => DestroyFn(rk);

    public static IntPtr ClusterNew(IntPtr rk, int brokers) => ClusterNewFn(rk, brokers);

    public static void ClusterDestroy(IntPtr cluster) => ClusterDestroyFn(cluster);

    public static string Bootstraps(IntPtr cluster) => Marshal.PtrToStringUTF8(BootstrapsFn(cluster)) ?? "";

    public static int TopicCreate(IntPtr cluster, string topic, int partitions, int replication)
    {
        using var t = new Utf8(topic);
        return TopicCreateFn(cluster, t.P, partitions, replication);
    }

    public static int BrokerSetDown(IntPtr cluster, int brokerId) => BrokerDownFn(cluster, brokerId);

    public static int BrokerSetUp(IntPtr cluster, int brokerId) => BrokerUpFn(cluster, brokerId);

    public static int BrokerSetRtt(IntPtr cluster, int brokerId, int rttMs) => BrokerRttFn(cluster, brokerId, rttMs);

    public static void PushRequestErrors(IntPtr cluster, short apiKey, ReadOnlySpan<int> errors)
    {
        fixed (int* p = errors) PushErrorsFn(cluster, apiKey, (nuint)errors.Length, p);
    }

    public static void ClearRequestErrors(IntPtr cluster, short apiKey) => ClearErrorsFn(cluster, apiKey);

    public static int PartitionSetLeader(IntPtr cluster, string topic, int partition, int brokerId)
    {
        using var t = new Utf8(topic);
        return SetLeaderFn(cluster, t.P, partition, brokerId);
    }

    public static void GroupInitialRebalanceDelay(IntPtr cluster, int delayMs) => RebalanceDelayFn(cluster, delayMs);

    /// <summary>A NUL-terminated UTF-8 copy in native memory, freed on dispose (after the native call returns).</summary>
    private readonly ref struct Utf8
    {
        public readonly IntPtr Pointer;

        public Utf8(string s) => Pointer = Marshal.StringToCoTaskMemUTF8(s);

        public byte* P => (byte*)Pointer;

        public void Dispose() => Marshal.FreeCoTaskMem(Pointer);
    }
}
