using System.Text;
using CsCheck;
using Personalization.Actors.Events;

namespace Personalization.Tests.Fuzzing;

/// <summary>
/// Generators of what a hostile or broken producer sends: random bytes, token soup, and valid events written every
/// legal way and then mutated (bytes flipped, inserted, cut; fields replaced by hostile values — huge, negative,
/// exponent and float numbers, unpaired surrogate escapes, invalid UTF-8, control characters, deep nesting, wrong
/// types, duplicates; trailing data; BOMs; UTF-16/UTF-32 transcoding; bodies of megabytes).
/// </summary>
public static class HostileEvents
{
    /// <summary>A valid event: ids of 1 to 256 characters drawn from ASCII, quotes, backslashes, BMP and astral characters.</summary>
    public static readonly Gen<ListeningEvent> ValidEvent = From(pcg => Event(pcg));

    /// <summary>A Kafka record's (key, value): the key usually the user id of the value's event, sometimes not.</summary>
    public static readonly Gen<(byte[]? Key, byte[]? Value)> KafkaRecord = From(pcg =>
    {
        var spelled = Spelled(pcg);
        var evt = spelled.Event;
        var value = Value(pcg, spelled);
        byte[]? key = Pick(pcg, 10) switch
        {
            0 => null,
            1 => [],
            2 => RandomBytes(pcg, 40),
            3 => Encoding.UTF8.GetBytes(evt.UserId + "x"),
            4 => [.. Encoding.UTF8.GetBytes(evt.UserId), 0xFF],
            _ => Encoding.UTF8.GetBytes(evt.UserId),
        };
        return (key, Pick(pcg, 200) == 0 ? null : value);
    });

    /// <summary>A valid event and one legal JSON spelling of it (any field order, escapes, numeric ids, ISO or missing ts, unknown fields).</summary>
    public static readonly Gen<(ListeningEvent Event, byte[] Json)> LegalSpelling = From(pcg =>
    {
        var evt = Event(pcg);
        return (evt, Write(pcg, evt));
    });

    /// <summary>A POST /events body: one event or an array of them, each possibly hostile, then possibly mutated as a whole.</summary>
    public static readonly Gen<byte[]> HttpBody = From(Body);

    private static Gen<T> From<T>(Func<PCG, T> generate) => new Generated<T>(generate);

    // Valid events and their legal spellings come from a pool made once (its own fixed seed): writing them afresh for
    // every input made generation, not decoding, most of the run. LegalSpelling still writes a new one each time.
    private static readonly Lazy<(ListeningEvent Event, byte[] Json)[]> Spellings = new(() =>
    {
        var pcg = new PCG(2, 20_261_201);
        return Enumerable.Range(0, 8_192).Select(_ =>
        {
            var evt = Event(pcg);
            return (evt, Write(pcg, evt));
        }).ToArray();
    });

    private static (ListeningEvent Event, byte[] Json) Spelled(PCG pcg) => Spellings.Value[Pick(pcg, Spellings.Value.Length)];

    private static byte[] Body(PCG pcg)
    {
        switch (Pick(pcg, 20))
        {
            case 0: return RandomBytes(pcg, 300);
            case 1: return TokenSoup(pcg);
            case 2: return Value(pcg, Spelled(pcg));
        }

        if (Pick(pcg, 5_000) == 0)
        {
            // Megabytes: one spelling repeated (2,000 to 22,000 events, past MaxEventsPerRequest or not), cheap to build.
            var element = Spelled(pcg).Json;
            var many = new List<byte>((element.Length + 1) * 22_000) { (byte)'[' };
            for (var i = 2_000 + Pick(pcg, 20_000); i > 0; i--)
            {
                many.AddRange(element);
                many.Add((byte)',');
            }

            many[^1] = (byte)']';
            return many.ToArray();
        }

        var count = Pick(pcg, 8);
        var body = new List<byte>(count * 90) { (byte)'[' };
        for (var i = 0; i < count; i++)
        {
            if (i > 0) body.Add((byte)',');
            body.AddRange(Pick(pcg, 6) == 0 ? Value(pcg, Spelled(pcg)) : Spelled(pcg).Json);
        }

        body.Add((byte)']');
        var bytes = body.ToArray();
        return Pick(pcg, 3) == 0 ? Mutate(pcg, bytes) : bytes;
    }

    /// <summary>One Kafka value / one body element: the event's legal spelling as it is, mutated, or replaced by something hostile.</summary>
    private static byte[] Value(PCG pcg, (ListeningEvent Event, byte[] Json) spelled) => Pick(pcg, 12) switch
    {
        0 => RandomBytes(pcg, Pick(pcg, 4) == 0 ? 2_000 : 100),
        1 => TokenSoup(pcg),
        2 => Huge(pcg, spelled.Event),
        3 or 4 => spelled.Json,
        5 or 6 or 7 => WithHostileField(pcg, spelled.Event),
        _ => Mutate(pcg, spelled.Json),
    };

    private static ListeningEvent Event(PCG pcg) =>
        new(Id(pcg), Id(pcg), (EventType)(1 + Pick(pcg, 4)), Pick(pcg, 4) == 0 ? (long)pcg.Next64((ulong)ListeningEventJson.MaxTimestamp + 1) : 1_700_000_000_000 + Pick(pcg, 1_000_000));

    private static readonly string[] IdPieces = ["a", "Z", "7", "-", "_", ".", "/", " ", "\"", "\\", "ü", "€", "中", "😀", "\u2028", "\uFFFD", "'", "<", "{", "%", "+"];

    private static string Id(PCG pcg)
    {
        if (Pick(pcg, 3) == 0) return (1 + Pick(pcg, 100_000)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var length = Pick(pcg, 30) == 0 ? ListeningEventJson.MaxIdLength - Pick(pcg, 2) : 1 + Pick(pcg, 12);
        var id = new StringBuilder("u");
        while (id.Length < length)
        {
            var piece = IdPieces[Pick(pcg, IdPieces.Length)];
            if (id.Length + piece.Length > length) piece = "x";
            id.Append(piece);
        }

        return id.ToString();
    }

    /// <summary>The event as JSON, any legal way: fields in any order, optional ts (number or ISO), numeric ids, escaped names, unknown fields, whitespace.</summary>
    private static byte[] Write(PCG pcg, ListeningEvent evt)
    {
        if (Pick(pcg, 3) == 0) return ListeningEventJson.Serialize(evt);
        var fields = new List<string>
        {
            Field(pcg, "user", IdValue(pcg, evt.UserId)),
            Field(pcg, "item", IdValue(pcg, evt.ItemId)),
            Field(pcg, "type", Quoted(evt.Type.ToWireName(), escapeAll: Pick(pcg, 8) == 0)),
        };
        switch (Pick(pcg, 4))
        {
            case 0: break;
            case 1: fields.Add(Field(pcg, "ts", Quoted(DateTimeOffset.FromUnixTimeMilliseconds(evt.Timestamp).ToString("O"), false))); break;
            default: fields.Add(Field(pcg, "ts", evt.Timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture))); break;
        }

        for (var extra = Pick(pcg, 3); extra > 0; extra--)
            fields.Add(Field(pcg, "ctx" + extra, Pick(pcg, 2) == 0 ? "{\"a\":[1,2,{\"b\":null}],\"c\":\"\\uD800\"}" : "\"x\""));
        Shuffle(pcg, fields);
        var space = Pick(pcg, 4) == 0 ? " \r\n\t" : "";
        return Encoding.UTF8.GetBytes(space + "{" + space + string.Join("," + space, fields) + space + "}" + space);
    }

    private static string Field(PCG pcg, string name, string value) => Quoted(name, escapeAll: Pick(pcg, 10) == 0) + ":" + value;

    private static string IdValue(PCG pcg, string id) =>
        id.All(char.IsAsciiDigit) && Pick(pcg, 2) == 0 ? id : Quoted(id, escapeAll: Pick(pcg, 6) == 0);

    /// <summary>A JSON string literal; <paramref name="escapeAll"/> writes every character as \uXXXX (surrogate pairs as two escapes).</summary>
    private static string Quoted(string text, bool escapeAll)
    {
        if (!escapeAll) return System.Text.Json.JsonSerializer.Serialize(text);
        var quoted = new StringBuilder("\"");
        foreach (var c in text) quoted.Append($"\\u{(int)c:X4}");
        return quoted.Append('"').ToString();
    }

    // Values that are wrong for some field, or only just right.
    private static readonly string[] HostileValues =
    [
        "1" + new string('0', 400), "-1", "-0", "0", "1e3", "1E+400", "1e-400", "0.5", "1.0", "-1.5e-7",
        "9223372036854775807", "9223372036854775808", "-9223372036854775809", "253402300799999", "253402300800000",
        "\"\\uD800\"", "\"\\uDC00\"", "\"a\\uD800b\"", "\"\\uDBFF\\uDFFF\"", "\"\\uD800\\u0041\"", "\"\\uDC00\\uD800\"", "\"\\uD800\\\\\"",
        "\"\\u0000\"", "\"a\\nb\"", "\"\\u007F\"", "\"\\u0085\"", "\"\"", "\"   \"", "\"\\t\"", "\"\\u202E\"", "\"pl\\u0061y\"", "\"PLAY\"", "\"play \"",
        "\"" + new string('x', 256) + "\"", "\"" + new string('x', 257) + "\"", "\"" + string.Concat(Enumerable.Repeat("\\u00e9", 257)) + "\"",
        "\"" + string.Concat(Enumerable.Repeat("😀", 128)) + "\"", "\"" + string.Concat(Enumerable.Repeat("😀", 129)) + "\"",
        "\"2024-11-25T00:00:00Z\"", "\"0001-01-01T00:00:00Z\"", "\"1969-12-31T23:59:59.999Z\"", "\"9999-12-31T23:59:59.9999999-14:00\"",
        "\"2024-11-25 10:00\"", "\"not a date\"", "\"\\u0032\\u0030\\u0032\\u0034-01-01\"",
        "true", "false", "null", "[]", "{}", "[1,[2,[3]]]", "{\"user\":\"nested\"}",
    ];

    private static readonly byte[][] InvalidUtf8 =
    [
        [0xFF], [0xFE], [0xC0, 0xAF], [0xC3], [0xE2, 0x82], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0x80], [0xF8, 0x88, 0x80, 0x80, 0x80],
    ];

    private static string Nested(PCG pcg)
    {
        var depth = 1 + Pick(pcg, Pick(pcg, 10) == 0 ? 10_000 : 100);
        return Pick(pcg, 2) == 0 ? new string('[', depth) + new string(']', depth) : string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth);
    }

    /// <summary>The event with one field's value replaced, one field duplicated, or a field added, by something hostile.</summary>
    private static byte[] WithHostileField(PCG pcg, ListeningEvent evt)
    {
        var fields = new List<(string Name, byte[] Value)>
        {
            ("user", Encoding.UTF8.GetBytes(Quoted(evt.UserId, false))),
            ("item", Encoding.UTF8.GetBytes(Quoted(evt.ItemId, false))),
            ("type", Encoding.UTF8.GetBytes(Quoted(evt.Type.ToWireName(), false))),
            ("ts", Encoding.UTF8.GetBytes(evt.Timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture))),
        };
        byte[] hostile = Pick(pcg, 6) switch
        {
            0 => [(byte)'"', .. Encoding.UTF8.GetBytes("u"), .. InvalidUtf8[Pick(pcg, InvalidUtf8.Length)], (byte)'"'],
            1 => Encoding.UTF8.GetBytes(Nested(pcg)),
            _ => Encoding.UTF8.GetBytes(HostileValues[Pick(pcg, HostileValues.Length)]),
        };
        var names = new[] { "user", "item", "type", "ts", "\\u0075ser", "x", "\\uD800" };
        var name = names[Pick(pcg, names.Length)];
        switch (Pick(pcg, 3))
        {
            case 0: // duplicate
                fields.Insert(Pick(pcg, fields.Count + 1), (name, hostile));
                break;
            default:
                var at = fields.FindIndex(f => f.Name == name);
                if (at >= 0) fields[at] = (name, hostile);
                else fields.Add((name, hostile));
                break;
        }

        if (Pick(pcg, 8) == 0) fields.RemoveAt(Pick(pcg, fields.Count));
        var json = new List<byte> { (byte)'{' };
        for (var i = 0; i < fields.Count; i++)
        {
            if (i > 0) json.Add((byte)',');
            json.AddRange(Encoding.UTF8.GetBytes("\"" + fields[i].Name + "\":"));
            json.AddRange(fields[i].Value);
        }

        json.Add((byte)'}');
        return json.ToArray();
    }

    /// <summary>Megabytes: a long unknown field, a long id, or a long run of whitespace or nesting.</summary>
    private static byte[] Huge(PCG pcg, ListeningEvent evt)
    {
        if (Pick(pcg, 1_000) != 0) return WithHostileField(pcg, evt); // keep the run fast: one in 12,000 values is big
        var size = (1 + Pick(pcg, 3)) * 1024 * 1024;
        var prefix = Encoding.UTF8.GetBytes($"{{\"user\":\"{evt.UserId.Replace("\\", "").Replace("\"", "")}\",\"item\":\"i\",\"type\":\"play\",\"pad\":\"");
        var bytes = new byte[prefix.Length + size + 2];
        prefix.CopyTo(bytes, 0);
        bytes.AsSpan(prefix.Length, size).Fill((byte)(Pick(pcg, 2) == 0 ? 'x' : ' '));
        bytes[^2] = (byte)'"';
        bytes[^1] = (byte)'}';
        // Cut short, or one byte changed: mutations that copy megabytes would make the run slow, not better.
        switch (Pick(pcg, 3))
        {
            case 0: return bytes[..Pick(pcg, bytes.Length)];
            case 1: bytes[Pick(pcg, bytes.Length)] = (byte)Pick(pcg, 256); break;
        }

        return bytes;
    }

    private static readonly string[] Tokens =
    [
        "{", "}", "[", "]", ":", ",", "\"", "\"user\"", "\"item\"", "\"type\"", "\"ts\"", "\"play\"", "\"u\"", "1", "-", "e", ".",
        "1e999", "null", "true", "\\", "\\u", "\\uD800", "\\uDC00", "\\n", "\\\"", " ", "\n", "\t", "\u00e9", "😀", "\u0000", "\u0001",
    ];

    private static byte[] TokenSoup(PCG pcg)
    {
        var soup = new List<byte>();
        for (var n = Pick(pcg, 40); n > 0; n--)
        {
            if (Pick(pcg, 10) == 0) soup.AddRange(InvalidUtf8[Pick(pcg, InvalidUtf8.Length)]);
            else soup.AddRange(Encoding.UTF8.GetBytes(Tokens[Pick(pcg, Tokens.Length)]));
        }

        return soup.ToArray();
    }

    private static readonly byte[][] Boms = [[0xEF, 0xBB, 0xBF], [0xFF, 0xFE], [0xFE, 0xFF], [0x00, 0x00, 0xFE, 0xFF], [0xEF, 0xBB]];

    private static readonly string[] Trailers = [" {}", "x", "\0", "]", "}", ",", " ", "\n\n", "{\"user\":\"u\"}", "\"", "//"];

    /// <summary>One to three byte-level mutations of <paramref name="bytes"/>.</summary>
    private static byte[] Mutate(PCG pcg, byte[] bytes)
    {
        var data = new List<byte>(bytes);
        for (var n = 1 + Pick(pcg, 3); n > 0; n--)
        {
            var at = Pick(pcg, data.Count + 1);
            switch (Pick(pcg, 12))
            {
                case 0 when data.Count > 0: data[Math.Min(at, data.Count - 1)] ^= (byte)(1 << Pick(pcg, 8)); break;
                case 1 when data.Count > 0: data[Math.Min(at, data.Count - 1)] = (byte)Pick(pcg, 256); break;
                case 2: data.Insert(at, (byte)Pick(pcg, 256)); break;
                case 3: data.RemoveRange(at, Math.Min(data.Count - at, 1 + Pick(pcg, 8))); break;
                case 4: data.RemoveRange(at, data.Count - at); break;
                case 5:
                    var from = Pick(pcg, data.Count + 1);
                    data.InsertRange(at, data.GetRange(from, Math.Min(data.Count - from, Pick(pcg, 20))));
                    break;
                case 6: data.InsertRange(at, Encoding.UTF8.GetBytes(Tokens[Pick(pcg, Tokens.Length)])); break;
                case 7: data.InsertRange(at, InvalidUtf8[Pick(pcg, InvalidUtf8.Length)]); break;
                case 8: data.AddRange(Encoding.UTF8.GetBytes(Trailers[Pick(pcg, Trailers.Length)])); break;
                case 9: data.InsertRange(0, Boms[Pick(pcg, Boms.Length)]); break;
                case 10:
                    var text = Encoding.UTF8.GetString(data.ToArray());
                    var encoding = Pick(pcg, 4) switch { 0 => Encoding.Unicode, 1 => Encoding.BigEndianUnicode, 2 => Encoding.UTF32, _ => Encoding.Latin1 };
                    data = [.. (Pick(pcg, 2) == 0 ? encoding.GetPreamble() : []), .. encoding.GetBytes(text)];
                    break;
                default: data.InsertRange(at, Encoding.UTF8.GetBytes(HostileValues[Pick(pcg, HostileValues.Length)])); break;
            }
        }

        return data.ToArray();
    }

    private static byte[] RandomBytes(PCG pcg, int maxLength)
    {
        var bytes = new byte[Pick(pcg, maxLength + 1)];
        for (var i = 0; i < bytes.Length; i++) bytes[i] = (byte)pcg.Next(256);
        return bytes;
    }

    private static void Shuffle<T>(PCG pcg, List<T> list)
    {
        for (var i = list.Count - 1; i > 0; i--)
        {
            var j = Pick(pcg, i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }
    }

    private static int Pick(PCG pcg, int n) => (int)pcg.Next((uint)n);

    /// <summary>A CsCheck generator from imperative code over its random source: mutations read better as code than as combinators.</summary>
    private sealed class Generated<T>(Func<PCG, T> generate) : Gen<T>
    {
        public override T Generate(PCG pcg, Size? min, out Size size)
        {
            size = new Size(0);
            return generate(pcg);
        }
    }
}
