using System.Globalization;
using System.Text;
using System.Text.Unicode;

namespace Personalization.Actors.Events;

/// <summary>
/// The checks that make <see cref="System.Text.Json.Utf8JsonReader"/>'s string accessors safe. The reader validates
/// JSON syntax but not text: <c>GetString</c>, <c>ValueTextEquals</c> and <c>CopyString</c> throw
/// <see cref="InvalidOperationException"/> on invalid UTF-8 or on a <c>\u</c> escape of an unpaired UTF-16 surrogate,
/// and System.Text.Json has no non-throwing variant. Input that passes both checks cannot make them throw.
/// </summary>
internal static class JsonTextChecks
{
    /// <summary>Null when <paramref name="utf8"/> is valid UTF-8, else a sentence naming the first bad byte.</summary>
    public static string? Utf8Problem(ReadOnlySpan<byte> utf8)
    {
        if (Utf8.IsValid(utf8)) return null;
        var offset = 0;
        while (Rune.DecodeFromUtf8(utf8[offset..], out _, out var consumed) == System.Buffers.OperationStatus.Done) offset += consumed;
        return $"not valid UTF-8: byte 0x{utf8[offset].ToString("X2", CultureInfo.InvariantCulture)} at offset {offset}";
    }

    /// <summary>
    /// True when every <c>\u</c> escape of a surrogate in <paramref name="raw"/> (a string token's bytes as written,
    /// whose escapes the reader has already checked for syntax) is a high surrogate directly followed by a low one.
    /// </summary>
    public static bool SurrogateEscapesArePaired(ReadOnlySpan<byte> raw)
    {
        var expectLow = false;
        var i = 0;
        while (i < raw.Length)
        {
            if (raw[i] != (byte)'\\' || raw[i + 1] != (byte)'u')
            {
                if (expectLow) return false;
                i += raw[i] == (byte)'\\' ? 2 : 1;
                continue;
            }

            var unit = HexValue(raw.Slice(i + 2, 4));
            i += 6;
            if (unit is >= 0xD800 and <= 0xDBFF)
            {
                if (expectLow) return false;
                expectLow = true;
            }
            else if (unit is >= 0xDC00 and <= 0xDFFF)
            {
                if (!expectLow) return false;
                expectLow = false;
            }
            else if (expectLow)
            {
                return false;
            }
        }

        return !expectLow;
    }

    private static int HexValue(ReadOnlySpan<byte> hex4)
    {
        var value = 0;
        foreach (var b in hex4)
            value = (value << 4) | (b <= '9' ? b - '0' : (b | 0x20) - 'a' + 10);
        return value;
    }
}
