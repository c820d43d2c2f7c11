using System.Buffers;
using System.Text;
using Personalization.Actors.Routing;

namespace Personalization.Actors.Model;

/// <summary>
/// Stable A/B bucket of a user: murmur2 of the UTF-8 bytes of "salt:userId", modulo 10,000. The same in every
/// process and run (unlike string.GetHashCode). Salted so that buckets are independent of the Kafka partition
/// (plain murmur2 of the user id) and so that a new experiment (new salt) reshuffles users.
/// </summary>
public static class VariantAssignment
{
    public const int Buckets = 10_000;

    public static int BucketOf(string userId, string salt)
    {
        ArgumentNullException.ThrowIfNull(userId);
        ArgumentNullException.ThrowIfNull(salt);
        var length = salt.Length + 1 + userId.Length;
        var max = Encoding.UTF8.GetMaxByteCount(length);
        byte[]? rented = null;
        Span<byte> buffer = max <= 512 ? stackalloc byte[max] : (rented = ArrayPool<byte>.Shared.Rent(max));
        try
        {
            var written = Encoding.UTF8.GetBytes(salt, buffer);
            buffer[written++] = (byte)':';
            written += Encoding.UTF8.GetBytes(userId, buffer[written..]);
            return (int)((KafkaPartitioner.Murmur2(buffer[..written]) & 0x7fffffff) % Buckets);
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
