using System.Text;

namespace Personalization.Actors.Routing;

/// <summary>
/// Java Kafka's default partitioner (murmur2 of the key bytes, positive, modulo partitions), which librdkafka's
/// <c>murmur2_random</c> reproduces for non-null keys. Shard ids are computed with it, so a user's shard equals the
/// partition its events land in.
/// </summary>
public static class KafkaPartitioner
{
    public static int PartitionFor(string key, int partitions)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        Span<byte> buffer = key.Length <= 128 ? stackalloc byte[Encoding.UTF8.GetMaxByteCount(key.Length)] : new byte[Encoding.UTF8.GetByteCount(key)];
        var length = Encoding.UTF8.GetBytes(key, buffer);
        return PartitionFor(buffer[..length], partitions);
    }

    public static int PartitionFor(ReadOnlySpan<byte> key, int partitions) =>
        (int)((Murmur2(key) & 0x7fffffff) % (uint)partitions);

    /// <summary>Kafka's murmur2 (seed 0x9747b28c), byte for byte as org.apache.kafka.common.utils.Utils.murmur2.</summary>
    public static int Murmur2(ReadOnlySpan<byte> data)
    {
        const uint m = 0x5bd1e995;
        const int r = 24;
        var length = data.Length;
        var h = 0x9747b28c ^ (uint)length;
        var i = 0;
        for (; i + 4 <= length; i += 4)
        {
            var k = (uint)(data[i] | data[i + 1] << 8 | data[i + 2] << 16 | data[i + 3] << 24);
            k *= m;
            k ^= k >> r;
            k *= m;
            h *= m;
            h ^= k;
        }

        switch (length - i)
        {
            case 3:
                h ^= (uint)data[i + 2] << 16;
                goto case 2;
            case 2:
                h ^= (uint)data[i + 1] << 8;
                goto case 1;
            case 1:
                h ^= data[i];
                h *= m;
                break;
        }

        h ^= h >> 13;
        h *= m;
        h ^= h >> 15;
        return (int)h;
    }
}
