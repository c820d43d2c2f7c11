using System.Globalization;
using System.Text;

namespace Personalization.Actors.Events;

/// <summary>
/// Puts input into refusal reasons safely. A reason goes into a DLQ header, a log line and an HTTP body, so it must be
/// short and printable whatever the input was: quoted text is cut to a few dozen characters and every control,
/// format (e.g. bidi overrides), separator or unpaired surrogate character is written as a <c>\uXXXX</c> escape.
/// </summary>
public static class ReasonText
{
    /// <summary>No reason is longer than this: a batch index prefix and two quoted echoes of <see cref="QuoteLength"/> fit.</summary>
    public const int MaxLength = 400;

    public const int QuoteLength = 64;

    /// <summary><paramref name="text"/> made printable, at most <paramref name="max"/> characters long with escapes, "…" when cut.</summary>
    public static string Quote(ReadOnlySpan<char> text, int max = QuoteLength)
    {
        var builder = new StringBuilder(Math.Min(text.Length, max) + 8);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            var pair = char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]);
            var width = pair ? 2 : IsPrintable(c) ? 1 : 6;
            if (builder.Length + width > max)
            {
                builder.Append('…');
                break;
            }

            if (pair) builder.Append(c).Append(text[++i]);
            else if (width == 1) builder.Append(c);
            else builder.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
        }

        return builder.ToString();
    }

    /// <summary>UTF-8 bytes (invalid sequences shown as U+FFFD), quoted like <see cref="Quote"/>.</summary>
    public static string QuoteUtf8(ReadOnlySpan<byte> utf8, int max = QuoteLength)
    {
        // Decode no more than can be shown: 4 * max bytes are more than max characters, so a cut still shows "…".
        var shown = utf8.Length > 4 * max ? utf8[..(4 * max)] : utf8;
        return Quote(Encoding.UTF8.GetString(shown), max);
    }

    /// <summary>A sentence of ours that embeds library text (an exception message): made printable and cut to <see cref="MaxLength"/>.</summary>
    public static string Bounded(string reason) => reason.Length <= MaxLength && IsPrintable(reason) ? reason : Quote(reason, MaxLength - 1);

    /// <summary>True when every character is printable and surrogates come in pairs.</summary>
    public static bool IsPrintable(ReadOnlySpan<char> text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) i++;
            else if (!IsPrintable(c)) return false;
        }

        return true;
    }

    private static bool IsPrintable(char c) => c == ' ' || char.GetUnicodeCategory(c) switch
    {
        UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse
            or UnicodeCategory.OtherNotAssigned or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator
            or UnicodeCategory.SpaceSeparator => false,
        _ => true,
    };
}
