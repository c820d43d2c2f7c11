using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Personalization.Actors.Events;

/// <summary>
/// Reads and writes the wire form of a <see cref="ListeningEvent"/> with <see cref="Utf8JsonReader"/> (no DOM, no
/// reflection). Any byte sequence gives an event or a refusal, never an exception: every refusal is a printable
/// sentence of at most <see cref="ReasonText.MaxLength"/> characters that says what is wrong, for the DLQ record or
/// the HTTP 400 body (<c>Fuzzing/DecoderFuzzTests</c> in the tests hold it to that).
/// </summary>
/// <remarks>
/// What is accepted, beyond <c>{"user","item","type","ts"}</c>:
/// <list type="bullet">
/// <item>The input must be UTF-8. A leading UTF-8 byte order mark is skipped (RFC 8259 lets parsers ignore it, and
/// Windows tools write it); a UTF-16 or UTF-32 one is refused by name.</item>
/// <item>Each of the four fields may appear once: a duplicate is refused rather than "last wins", so no other JSON
/// reader (which might keep the first) can see a different user than we do.</item>
/// <item>Ids are strings or non-negative integer literals (kept as written: <c>31013</c> = <c>"31013"</c>; <c>1e3</c>
/// or <c>1.5</c> are refused as they would name another user than their value), 1 to <see cref="MaxIdLength"/>
/// UTF-16 characters, not blank and without control characters (an escaped <c>\u0000</c> or <c>\n</c> is refused).
/// An unpaired surrogate escape (<c>"\uD800"</c>) is not text and is refused.</item>
/// <item><c>ts</c> is epoch milliseconds from 0 to <see cref="MaxTimestamp"/> or an ISO-8601 string (no offset =
/// UTC) in that range.</item>
/// <item><c>recommendationId</c> (optional) is the id of the answer the event came from, obeying the id rules.</item>
/// <item>Unknown fields are skipped unread, whatever their value; nesting deeper than 64 is refused.</item>
/// </list>
/// </remarks>
public static class ListeningEventJson
{
    public const int MaxIdLength = 256;

    /// <summary>9999-12-31T23:59:59.999Z: the last instant a <see cref="DateTimeOffset"/> holds.</summary>
    public const long MaxTimestamp = 253_402_300_799_999;

    // A string token longer than this cannot decode to MaxIdLength characters (6 bytes per character in \uXXXX form):
    // refused before anything is allocated for it.
    private const int MaxIdTokenBytes = 6 * MaxIdLength;
    private const int MaxTimeTokenBytes = 6 * 64;

    private static readonly JsonReaderOptions ReaderOptions = new() { AllowMultipleValues = true, MaxDepth = 64 };

    /// <summary>Parses one JSON object. <paramref name="defaultTimestamp"/> fills a missing <c>ts</c> (the Kafka record time, or now).</summary>
    public static bool TryParse(ReadOnlySpan<byte> utf8, long defaultTimestamp, out ListeningEvent? evt, out string? error)
    {
        evt = null;
        if (!TryPrepare(ref utf8, "value: expected a JSON object", out error)) return false;

        // AllowMultipleValues: data after the object is reported as such, not as a generic reader error.
        var reader = new Utf8JsonReader(utf8, ReaderOptions);
        try
        {
            reader.Read();
            if (!TryReadObject(ref reader, defaultTimestamp, out evt, out error)) return false;
            if (reader.Read())
            {
                evt = null;
                error = "unexpected data after the JSON object";
                return false;
            }

            return true;
        }
        catch (JsonException e)
        {
            // The reader reports syntax errors only by throwing; we turn them into the reason here, at the one place.
            evt = null;
            error = Malformed(e);
            return false;
        }
    }

    /// <summary>
    /// Parses a request body that is one event object or an array of them. Returns every event, or the first error
    /// with its index; nothing is half-accepted. More than <paramref name="maxEvents"/> events are refused as soon as
    /// the one past the limit is seen.
    /// </summary>
    public static bool TryParseBatch(ReadOnlySpan<byte> utf8, long defaultTimestamp, out List<ListeningEvent> events, out string? error, int maxEvents = int.MaxValue)
    {
        events = [];
        if (!TryPrepare(ref utf8, "body: expected an event object or an array of them", out error)) return false;

        var reader = new Utf8JsonReader(utf8, ReaderOptions);
        try
        {
            reader.Read();
            if (reader.TokenType == JsonTokenType.StartArray)
            {
                var index = 0;
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (index == maxEvents)
                    {
                        events.Clear();
                        error = $"more than {maxEvents} events in one request";
                        return false;
                    }

                    if (!TryReadObject(ref reader, defaultTimestamp, out var evt, out var itemError))
                    {
                        events.Clear();
                        error = $"event [{index}]: {itemError}";
                        return false;
                    }

                    events.Add(evt!);
                    index++;
                }
            }
            else
            {
                if (!TryReadObject(ref reader, defaultTimestamp, out var evt, out error)) return false;
                events.Add(evt!);
            }

            if (reader.Read())
            {
                events.Clear();
                error = "unexpected data after the JSON value";
                return false;
            }

            error = null;
            return true;
        }
        catch (JsonException e)
        {
            events.Clear();
            error = Malformed(e);
            return false;
        }
    }

    // UTF-32 little endian starts like UTF-16 little endian.
    private static ReadOnlySpan<byte> Utf16LittleEndianBom => [0xFF, 0xFE];
    private static ReadOnlySpan<byte> Utf16BigEndianBom => [0xFE, 0xFF];
    private static ReadOnlySpan<byte> Utf32BigEndianBom => [0x00, 0x00, 0xFE, 0xFF];

    /// <summary>Byte-level checks before the reader: encoding, BOM, emptiness (<paramref name="expected"/> completes "empty …").</summary>
    private static bool TryPrepare(ref ReadOnlySpan<byte> utf8, string expected, out string? error)
    {
        if (utf8.StartsWith("\uFEFF"u8)) utf8 = utf8[3..];
        else if (utf8.StartsWith(Utf16LittleEndianBom) || utf8.StartsWith(Utf16BigEndianBom) || utf8.StartsWith(Utf32BigEndianBom))
        {
            error = "UTF-16 or UTF-32 byte order mark: the JSON must be UTF-8";
            return false;
        }

        if (JsonTextChecks.Utf8Problem(utf8) is { } problem)
        {
            error = problem;
            return false;
        }

        if (utf8.Trim(" \t\r\n"u8).IsEmpty)
        {
            error = "empty " + expected;
            return false;
        }

        error = null;
        return true;
    }

    /// <summary>Reads one object; the reader stands on its StartObject token and ends on its EndObject token.</summary>
    private static bool TryReadObject(ref Utf8JsonReader reader, long defaultTimestamp, out ListeningEvent? evt, out string? error)
    {
        evt = null;
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            error = $"expected a JSON object, found {Describe(reader.TokenType)}";
            return false;
        }

        string? user = null, item = null, recommendation = null;
        EventType? type = null;
        long? ts = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueIsEscaped && !JsonTextChecks.SurrogateEscapesArePaired(reader.ValueSpan))
            {
                error = "a field name has an unpaired UTF-16 surrogate escape";
                return false;
            }

            if (reader.ValueTextEquals("user"u8))
            {
                if (user is not null) return Duplicate("user", out error);
                if (!ReadId(ref reader, "user", out user, out error)) return false;
            }
            else if (reader.ValueTextEquals("item"u8))
            {
                if (item is not null) return Duplicate("item", out error);
                if (!ReadId(ref reader, "item", out item, out error)) return false;
            }
            else if (reader.ValueTextEquals("type"u8))
            {
                if (type is not null) return Duplicate("type", out error);
                if (!ReadType(ref reader, out var parsed, out error)) return false;
                type = parsed;
            }
            else if (reader.ValueTextEquals("ts"u8))
            {
                if (ts is not null) return Duplicate("ts", out error);
                if (!ReadTimestamp(ref reader, out var ms, out error)) return false;
                ts = ms;
            }
            else if (reader.ValueTextEquals("recommendationId"u8))
            {
                if (recommendation is not null) return Duplicate("recommendationId", out error);
                if (!ReadId(ref reader, "recommendationId", out recommendation, out error)) return false;
            }
            else
            {
                // Unknown fields are allowed (producers may add context); skip their value whatever its shape.
                reader.Read();
                reader.Skip();
            }
        }

        if (reader.TokenType != JsonTokenType.EndObject)
        {
            error = "malformed JSON: unterminated object";
            return false;
        }

        if (user is null) { error = "missing \"user\""; return false; }
        if (item is null) { error = "missing \"item\""; return false; }
        if (type is null) { error = $"missing \"type\" ({EventTypes.AllowedNames})"; return false; }
        evt = new ListeningEvent(user, item, type.Value, ts ?? defaultTimestamp, recommendation);
        error = null;
        return true;
    }

    private static bool Duplicate(string field, out string? error)
    {
        error = $"\"{field}\" appears more than once";
        return false;
    }

    private static bool ReadId(ref Utf8JsonReader reader, string field, out string? value, out string? error)
    {
        reader.Read();
        value = null;
        var raw = reader.ValueSpan; // the input is one span: a token is never a ValueSequence
        if (reader.TokenType == JsonTokenType.Number)
        {
            // Numeric ids are common in exports (the Games data has them); keep their text exactly. Only plain
            // integers: 1e3 and 1000 would be two users with one value.
            if (raw.IndexOfAnyExceptInRange((byte)'0', (byte)'9') >= 0) // a sign, a fraction or an exponent
            {
                error = $"\"{field}\" must be a string or a non-negative integer, found the number {ReasonText.QuoteUtf8(raw, 40)}";
                return false;
            }

            if (raw.Length > MaxIdLength) return TooLong(field, out error);
            value = Encoding.UTF8.GetString(raw);
        }
        else if (reader.TokenType == JsonTokenType.String)
        {
            if (raw.Length > MaxIdTokenBytes) return TooLong(field, out error);
            if (reader.ValueIsEscaped && !JsonTextChecks.SurrogateEscapesArePaired(raw))
            {
                error = $"\"{field}\" has an unpaired UTF-16 surrogate escape";
                return false;
            }

            value = reader.GetString()!;
        }
        else
        {
            error = $"\"{field}\" must be a string or a number, found {Describe(reader.TokenType)}";
            return false;
        }

        // The reader refuses raw control characters; escaped ones (\u0000, \n) and the rest of the id rules are here.
        if (EventIds.Problem(value, field switch { "user" => "\"user\"", "item" => "\"item\"", _ => "\"recommendationId\"" }) is { } problem) // constants: nothing allocated per event
        {
            value = null;
            error = problem;
            return false;
        }

        error = null;
        return true;
    }

    private static bool TooLong(string field, out string? error)
    {
        error = $"\"{field}\" is longer than {MaxIdLength} characters";
        return false;
    }

    private static bool ReadType(ref Utf8JsonReader reader, out EventType type, out string? error)
    {
        reader.Read();
        type = default;
        if (reader.TokenType != JsonTokenType.String)
        {
            error = $"\"type\" must be a string ({EventTypes.AllowedNames}), found {Describe(reader.TokenType)}";
            return false;
        }

        if (reader.ValueIsEscaped && !JsonTextChecks.SurrogateEscapesArePaired(reader.ValueSpan))
        {
            error = "\"type\" has an unpaired UTF-16 surrogate escape";
            return false;
        }

        // Compared in place (no string per event); ValueTextEquals also matches an escaped spelling.
        if (EventTypes.TryParse(ref reader, out type))
        {
            error = null;
            return true;
        }

        // The name as written (escapes shown as such): the input is valid UTF-8, so this decodes without loss.
        error = $"unknown \"type\" \"{ReasonText.QuoteUtf8(reader.ValueSpan, 40)}\": expected one of {EventTypes.AllowedNames}";
        return false;
    }

    private static bool ReadTimestamp(ref Utf8JsonReader reader, out long ms, out string? error)
    {
        reader.Read();
        error = null;
        if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out ms) && ms is >= 0 and <= MaxTimestamp)
            return true;
        if (reader.TokenType == JsonTokenType.String && reader.ValueSpan.Length <= MaxTimeTokenBytes
            && (!reader.ValueIsEscaped || JsonTextChecks.SurrogateEscapesArePaired(reader.ValueSpan))
            && DateTimeOffset.TryParse(reader.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var when)
            && when.ToUnixTimeMilliseconds() is >= 0 and var parsed)
        {
            ms = parsed;
            return true;
        }

        ms = 0;
        error = "\"ts\" must be Unix epoch milliseconds (an integer from 0 to 253402300799999) or an ISO-8601 time string from 1970 on";
        return false;
    }

    /// <summary>The canonical wire form, as our producers write it.</summary>
    public static byte[] Serialize(ListeningEvent evt)
    {
        var buffer = new ArrayBufferWriter<byte>(96);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("user"u8, evt.UserId);
            writer.WriteString("item"u8, evt.ItemId);
            writer.WriteString("type"u8, evt.Type.ToWireName());
            writer.WriteNumber("ts"u8, evt.Timestamp);
            if (evt.RecommendationId is not null) writer.WriteString("recommendationId"u8, evt.RecommendationId);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    // The reader's messages name the problem and its position ("'x' is invalid after a value. LineNumber: 0 |
    // BytePositionInLine: 12."); they only ever show one input character, but pass them through ReasonText anyway.
    private static string Malformed(JsonException e) => ReasonText.Bounded("malformed JSON: " + e.Message);

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        JsonTokenType.EndArray => "the end of the array",
        JsonTokenType.EndObject => "the end of the object",
        _ => token.ToString(),
    };
}
