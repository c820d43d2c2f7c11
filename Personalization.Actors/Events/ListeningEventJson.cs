using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Personalization.Actors.Events;

/// <summary>
/// Reads and writes the wire form of a <see cref="ListeningEvent"/> with <see cref="Utf8JsonReader"/> (no DOM, no
/// reflection). Every refusal carries a sentence that says what is wrong, for the DLQ record or the HTTP 400 body.
/// </summary>
public static class ListeningEventJson
{
    public const int MaxIdLength = 256;

    /// <summary>Parses one JSON object. <paramref name="defaultTimestamp"/> fills a missing <c>ts</c> (the Kafka record time, or now).</summary>
    public static bool TryParse(ReadOnlySpan<byte> utf8, long defaultTimestamp, out ListeningEvent? evt, out string? error)
    {
        // AllowMultipleValues: data after the object is reported as such, not as a generic reader error.
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { AllowMultipleValues = true });
        try
        {
            if (utf8.Trim(" \t\r\n"u8).IsEmpty || !reader.Read())
            {
                evt = null;
                error = "empty value: expected a JSON object";
                return false;
            }

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
            evt = null;
            error = $"malformed JSON: {e.Message}";
            return false;
        }
    }

    /// <summary>
    /// Parses a request body that is one event object or an array of them. Returns every event, or the first error
    /// with its index; nothing is half-accepted.
    /// </summary>
    public static bool TryParseBatch(ReadOnlySpan<byte> utf8, long defaultTimestamp, out List<ListeningEvent> events, out string? error)
    {
        events = [];
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { AllowMultipleValues = true });
        try
        {
            if (utf8.Trim(" \t\r\n"u8).IsEmpty || !reader.Read())
            {
                error = "empty body: expected an event object or an array of them";
                return false;
            }

            if (reader.TokenType == JsonTokenType.StartArray)
            {
                var index = 0;
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (!TryReadObject(ref reader, defaultTimestamp, out var evt, out var itemError))
                    {
                        error = $"event [{index}]: {itemError}";
                        return false;
                    }

                    events.Add(evt!);
                    index++;
                }

                if (reader.TokenType != JsonTokenType.EndArray)
                {
                    error = "malformed JSON: unterminated array";
                    return false;
                }
            }
            else
            {
                if (!TryReadObject(ref reader, defaultTimestamp, out var evt, out error)) return false;
                events.Add(evt!);
            }

            if (reader.Read())
            {
                error = "unexpected data after the JSON value";
                return false;
            }

            error = null;
            return true;
        }
        catch (JsonException e)
        {
            error = $"malformed JSON: {e.Message}";
            return false;
        }
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

        string? user = null, item = null;
        EventType? type = null;
        long? ts = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("user"u8))
            {
                if (!ReadId(ref reader, "user", out user, out error)) return false;
            }
            else if (reader.ValueTextEquals("item"u8))
            {
                if (!ReadId(ref reader, "item", out item, out error)) return false;
            }
            else if (reader.ValueTextEquals("type"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.String)
                {
                    error = $"\"type\" must be a string ({EventTypes.AllowedNames}), found {Describe(reader.TokenType)}";
                    return false;
                }

                var name = reader.GetString()!;
                if (!EventTypes.TryParse(name, out var parsed))
                {
                    error = $"unknown \"type\" \"{Truncate(name)}\": expected one of {EventTypes.AllowedNames}";
                    return false;
                }

                type = parsed;
            }
            else if (reader.ValueTextEquals("ts"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var ms) && ms >= 0)
                {
                    ts = ms;
                }
                else if (reader.TokenType == JsonTokenType.String && DateTimeOffset.TryParse(reader.GetString(), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var when))
                {
                    ts = when.ToUnixTimeMilliseconds();
                }
                else
                {
                    error = "\"ts\" must be Unix epoch milliseconds (a non-negative integer) or an ISO-8601 time string";
                    return false;
                }
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
        evt = new ListeningEvent(user, item, type.Value, ts ?? defaultTimestamp);
        error = null;
        return true;
    }

    private static bool ReadId(ref Utf8JsonReader reader, string field, out string? value, out string? error)
    {
        reader.Read();
        value = null;
        if (reader.TokenType == JsonTokenType.Number)
        {
            // Numeric ids are common in exports (the Games data has them); keep their text exactly.
            value = Encoding.UTF8.GetString(reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan);
        }
        else if (reader.TokenType == JsonTokenType.String)
        {
            value = reader.GetString();
        }
        else
        {
            error = $"\"{field}\" must be a string or a number, found {Describe(reader.TokenType)}";
            return false;
        }

        if (string.IsNullOrWhiteSpace(value))
        {
            error = $"\"{field}\" is empty";
            value = null;
            return false;
        }

        if (value.Length > MaxIdLength)
        {
            error = $"\"{field}\" is longer than {MaxIdLength} characters";
            value = null;
            return false;
        }

        error = null;
        return true;
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
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => token.ToString(),
    };

    private static string Truncate(string s) => s.Length <= 40 ? s : s[..40] + "…";
}
