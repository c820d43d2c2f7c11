using System.Text;

namespace Personalization.Actors.Experiments;

/// <summary>
/// The distinct items a variant served, as a linear-counting sketch (Whang, Vander-Zanden and Taylor, 1990): one bit
/// per hash bucket, 2^16 bits (8 KB) whatever the catalog, so the cluster's union is a bitwise OR and fits one gossip
/// message. The estimate's standard error is under 1 % up to ~100,000 distinct items.
/// </summary>
public static class ItemSketch
{
    public const int Bits = 1 << 16;
    public const int Bytes = Bits / 8;

    public static int BitOf(string itemId)
    {
        Span<byte> buffer = stackalloc byte[Encoding.UTF8.GetMaxByteCount(Math.Min(itemId.Length, 512))];
        var length = Encoding.UTF8.GetBytes(itemId.AsSpan(0, Math.Min(itemId.Length, 512)), buffer);
        return (int)(Routing.KafkaPartitioner.Murmur2(buffer[..length]) & (Bits - 1));
    }

    public static void Set(byte[] sketch, int bit) => sketch[bit >> 3] |= (byte)(1 << (bit & 7));

    /// <summary>Estimated distinct items: −m·ln(zero bits / m).</summary>
    public static long Estimate(ReadOnlySpan<byte> sketch)
    {
        if (sketch.Length != Bytes) return 0;
        long set = 0;
        foreach (var b in sketch) set += System.Numerics.BitOperations.PopCount(b);
        var zero = Bits - set;
        if (zero == 0) return Bits; // saturated: a lower bound
        return (long)Math.Round(-Bits * Math.Log(zero / (double)Bits));
    }

    public static byte[] Union(byte[] a, byte[] b)
    {
        var result = new byte[Bytes];
        for (var i = 0; i < Bytes; i++) result[i] = (byte)((i < a.Length ? a[i] : 0) | (i < b.Length ? b[i] : 0));
        return result;
    }
}
