using System.Text;
using Personalization.Actors.Events;

namespace Personalization.Actors.Ingest;

/// <summary>
/// A Kafka record's key and value → a <see cref="ListeningEvent"/>, or the reason it goes to the DLQ: tombstone,
/// empty value, a value <see cref="ListeningEventJson"/> refuses, or a key that is not the event's user. Runs per
/// event on the ingest path, so the valid case allocates only the event and its two ids.
/// </summary>
public static class KafkaRecordDecoder
{
    /// <summary>Starts the reason given when decoding hit a bug of ours (see the catch below); the fuzz tests require it never appears.</summary>
    public const string DecoderFailure = "the decoder failed on this record";

    /// <param name="keyMatched">True when the key is present and equals the user id's UTF-8: routing may use the key bytes as they are.</param>
    /// <param name="timestampMs">The record's time; fills a missing <c>ts</c>.</param>
    public static bool TryDecode(byte[]? key, byte[]? value, long timestampMs, out ListeningEvent? evt, out bool keyMatched, out string? reason)
    {
        evt = null;
        keyMatched = false;
        try
        {
            return TryDecodeCore(key, value, timestampMs, out evt, out keyMatched, out reason);
        }
        catch (Exception e)
        {
            // The decoder is meant never to throw (the fuzz tests run millions of hostile inputs through it). Should it
            // still, one bad record must not stop ingestion for the node: it goes to the DLQ, with its bytes, for replay
            // once fixed, instead of failing the stream on every restart.
            evt = null;
            keyMatched = false;
            reason = ReasonText.Bounded($"{DecoderFailure} ({e.GetType().Name}: {e.Message})");
            return false;
        }
    }

    private static bool TryDecodeCore(byte[]? key, byte[]? value, long timestampMs, out ListeningEvent? evt, out bool keyMatched, out string? reason)
    {
        keyMatched = false;
        if (value is null)
        {
            evt = null;
            reason = "tombstone: the record has no value, expected a JSON listening event";
            return false;
        }

        if (value.Length == 0)
        {
            evt = null;
            reason = "empty value: expected a JSON listening event";
            return false;
        }

        if (!ListeningEventJson.TryParse(value, timestampMs, out evt, out reason)) return false;
        if (key is { Length: > 0 })
        {
            if (!KeyEquals(key, evt!.UserId))
            {
                reason = KeyMismatch(key, evt.UserId);
                evt = null;
                return false;
            }

            keyMatched = true;
        }

        return true;
    }

    private static bool KeyEquals(ReadOnlySpan<byte> key, string user)
    {
        // user is at most MaxIdLength characters (the parser refused longer), so its UTF-8 fits the stack buffer.
        if (key.Length > Encoding.UTF8.GetMaxByteCount(user.Length)) return false;
        Span<byte> buffer = stackalloc byte[Encoding.UTF8.GetMaxByteCount(ListeningEventJson.MaxIdLength)];
        var length = Encoding.UTF8.GetBytes(user, buffer);
        return key.SequenceEqual(buffer[..length]);
    }

    private static string KeyMismatch(ReadOnlySpan<byte> key, string user)
    {
        var notUtf8 = System.Text.Unicode.Utf8.IsValid(key) ? "" : " (the key is not valid UTF-8)";
        return $"key \"{ReasonText.QuoteUtf8(key)}\"{notUtf8} does not match \"user\" \"{ReasonText.Quote(user)}\" in the value";
    }
}
