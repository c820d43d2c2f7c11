using System.Buffers;
using System.Text;
using System.Text.Json;
using Personalization.Actors.Events;

namespace Personalization.Actors.Filters;

/// <summary>What one record of the availability topic says about its item.</summary>
public sealed record AvailabilityUpdate(string ItemId, bool Available, string? Reason = null, string? By = null);

/// <summary>
/// The records of the availability topic (README, "Business filters"): key = the item id (UTF-8), value =
/// <c>{"item":"42","available":false,"reason":"licensing"}</c> (<c>reason</c> and <c>by</c> optional, other fields
/// skipped), or no value at all — a tombstone — which makes the item available again, as <c>"available":true</c> does.
/// The same rules as events: ids by <see cref="EventIds"/>, the key equal to <c>item</c>, each field once, UTF-8 only.
/// Any byte sequence gives an update or a printable reason (for the dead-letter topic), never an exception.
/// </summary>
public static class AvailabilityRecordJson
{
    public const int MaxTextLength = 200;
    private const int MaxTokenBytes = 6 * ListeningEventJson.MaxIdLength;
    private static readonly JsonReaderOptions ReaderOptions = new() { AllowMultipleValues = true, MaxDepth = 64 };

    public static bool TryDecode(byte[]? key, byte[]? value, out AvailabilityUpdate? update, out string? reason)
    {
        update = null;
        if (key is null || key.Length == 0) return Refuse("the record has no key: the key is the item id", out reason);
        if (JsonTextChecks.Utf8Problem(key) is { } keyEncoding) return Refuse("key " + keyEncoding, out reason);
        var itemId = Encoding.UTF8.GetString(key);
        if (EventIds.Problem(itemId, "the key (the item id)") is { } keyProblem) return Refuse(keyProblem, out reason);
        if (value is null)
        {
            update = new AvailabilityUpdate(itemId, true); // a tombstone: the item is available again
            reason = null;
            return true;
        }

        ReadOnlySpan<byte> utf8 = value;
        if (utf8.StartsWith("\uFEFF"u8)) utf8 = utf8[3..];
        if (JsonTextChecks.Utf8Problem(utf8) is { } encoding) return Refuse("value " + encoding, out reason);
        if (utf8.Trim(" \t\r\n"u8).IsEmpty) return Refuse("empty value (a tombstone, which makes the item available again, has no value at all)", out reason);

        var reader = new Utf8JsonReader(utf8, ReaderOptions);
        string? item = null, why = null, by = null;
        bool? available = null;
        bool seenReason = false, seenBy = false;
        try
        {
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject) return Refuse("value: expected a JSON object", out reason);
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueIsEscaped && !JsonTextChecks.SurrogateEscapesArePaired(reader.ValueSpan))
                    return Refuse("a field name has an unpaired UTF-16 surrogate escape", out reason);
                if (reader.ValueTextEquals("item"u8))
                {
                    if (item is not null) return Duplicate("item", out reason);
                    reader.Read();
                    if (ReadId(ref reader, out item) is { } problem) return Refuse(problem, out reason);
                }
                else if (reader.ValueTextEquals("available"u8))
                {
                    if (available is not null) return Duplicate("available", out reason);
                    reader.Read();
                    if (reader.TokenType is not (JsonTokenType.True or JsonTokenType.False))
                        return Refuse("\"available\" must be true or false", out reason);
                    available = reader.TokenType == JsonTokenType.True;
                }
                else if (reader.ValueTextEquals("reason"u8))
                {
                    if (seenReason) return Duplicate("reason", out reason);
                    seenReason = true;
                    reader.Read();
                    if (ReadText(ref reader, "reason", out why) is { } problem) return Refuse(problem, out reason);
                }
                else if (reader.ValueTextEquals("by"u8))
                {
                    if (seenBy) return Duplicate("by", out reason);
                    seenBy = true;
                    reader.Read();
                    if (ReadText(ref reader, "by", out by) is { } problem) return Refuse(problem, out reason);
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            if (reader.TokenType != JsonTokenType.EndObject) return Refuse("malformed JSON: unterminated object", out reason);
            if (reader.Read()) return Refuse("unexpected data after the JSON object", out reason);
        }
        catch (JsonException e)
        {
            return Refuse("malformed JSON: " + e.Message, out reason);
        }

        if (item is null) return Refuse("missing \"item\"", out reason);
        if (available is null) return Refuse("missing \"available\" (true or false)", out reason);
        if (item != itemId)
            return Refuse($"the key \"{ReasonText.Quote(itemId)}\" differs from \"item\" \"{ReasonText.Quote(item)}\"", out reason);
        update = new AvailabilityUpdate(itemId, available.Value, why, by);
        reason = null;
        return true;
    }

    /// <summary>The value of a record that withdraws or re-enables an item, as our producer writes it.</summary>
    public static byte[] Serialize(AvailabilityUpdate update)
    {
        var buffer = new ArrayBufferWriter<byte>(96);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("item"u8, update.ItemId);
            writer.WriteBoolean("available"u8, update.Available);
            if (update.Reason is not null) writer.WriteString("reason"u8, update.Reason);
            if (update.By is not null) writer.WriteString("by"u8, update.By);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Null when <paramref name="text"/> may be a reason or an operator's name, else why not.</summary>
    public static string? TextProblem(string text, string field)
    {
        if (text.Length > MaxTextLength) return $"\"{field}\" is longer than {MaxTextLength} characters";
        return text.Length == 0 ? null : EventIds.Problem(text, $"\"{field}\"");
    }

    private static string? ReadId(ref Utf8JsonReader reader, out string? id)
    {
        id = null;
        var raw = reader.ValueSpan;
        if (reader.TokenType == JsonTokenType.Number)
        {
            if (raw.IndexOfAnyExceptInRange((byte)'0', (byte)'9') >= 0) return "\"item\" must be a string or a non-negative integer";
            if (raw.Length > ListeningEventJson.MaxIdLength) return $"\"item\" is longer than {ListeningEventJson.MaxIdLength} characters";
            id = Encoding.UTF8.GetString(raw);
        }
        else if (reader.TokenType == JsonTokenType.String)
        {
            if (raw.Length > MaxTokenBytes) return $"\"item\" is longer than {ListeningEventJson.MaxIdLength} characters";
            if (reader.ValueIsEscaped && !JsonTextChecks.SurrogateEscapesArePaired(raw)) return "\"item\" has an unpaired UTF-16 surrogate escape";
            id = reader.GetString()!;
        }
        else
        {
            return "\"item\" must be a string or a number";
        }

        if (EventIds.Problem(id, "\"item\"") is { } problem)
        {
            id = null;
            return problem;
        }

        return null;
    }

    private static string? ReadText(ref Utf8JsonReader reader, string field, out string? text)
    {
        text = null;
        if (reader.TokenType == JsonTokenType.Null) return null;
        if (reader.TokenType != JsonTokenType.String) return $"\"{field}\" must be a string or null";
        if (reader.ValueSpan.Length > 6 * MaxTextLength) return $"\"{field}\" is longer than {MaxTextLength} characters";
        if (reader.ValueIsEscaped && !JsonTextChecks.SurrogateEscapesArePaired(reader.ValueSpan)) return $"\"{field}\" has an unpaired UTF-16 surrogate escape";
        var value = reader.GetString()!;
        if (TextProblem(value, field) is { } problem) return problem;
        text = value.Length == 0 ? null : value;
        return null;
    }

    private static bool Duplicate(string field, out string? reason) => Refuse($"\"{field}\" appears more than once", out reason);

    private static bool Refuse(string why, out string? reason)
    {
        reason = ReasonText.Bounded(why);
        return false;
    }
}
