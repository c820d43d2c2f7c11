namespace Personalization.Actors.Events;

/// <summary>
/// What a user or item id may be, wherever it comes from (a Kafka value, an HTTP body, a URL path): 1 to
/// <see cref="ListeningEventJson.MaxIdLength"/> UTF-16 characters, not blank, no control characters (they would
/// reach logs, Kafka keys and URLs), no unpaired surrogate (not text: it has no UTF-8 form, so no Kafka key).
/// </summary>
public static class EventIds
{
    /// <summary>Null when <paramref name="id"/> is a valid id, else a sentence about <paramref name="what"/> ("\"user\"", "user id").</summary>
    public static string? Problem(ReadOnlySpan<char> id, string what)
    {
        if (id.IsWhiteSpace()) return $"{what} is empty";
        if (id.Length > ListeningEventJson.MaxIdLength) return $"{what} is longer than {ListeningEventJson.MaxIdLength} characters";
        if (id.IndexOfAnyInRange('\u0000', '\u001F') >= 0 || id.IndexOfAnyInRange('\u007F', '\u009F') >= 0)
            return $"{what} contains a control character: \"{ReasonText.Quote(id)}\"";
        if (id.IndexOfAnyInRange('\uD800', '\uDFFF') >= 0 && !SurrogatesArePaired(id))
            return $"{what} has an unpaired UTF-16 surrogate";
        return null;
    }

    private static bool SurrogatesArePaired(ReadOnlySpan<char> text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) i++;
            else if (char.IsSurrogate(text[i])) return false;
        }

        return true;
    }
}
