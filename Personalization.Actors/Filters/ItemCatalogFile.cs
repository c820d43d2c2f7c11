using System.Text;
using System.Text.Json;
using Personalization.Actors.Events;

namespace Personalization.Actors.Filters;

/// <summary>
/// Reads an item catalog: JSON lines, one object per item, <c>{"item":"42","genre":"rock","tags":["live","90s"]}</c>.
/// JSON lines rather than CSV because attributes differ from item to item and may have several values (a CSV needs
/// one header for all and a convention for lists), a line is one item (an error names its line), and the values
/// follow the same JSON rules as events.
/// <list type="bullet">
/// <item><c>item</c>: the item id, a string or a non-negative integer literal, by the id rules of events; each item once.</item>
/// <item>Every other field is an attribute: its value is a string, a number (kept as written), a boolean
/// (<c>true</c>/<c>false</c>), null (no value), or an array of those. Names and values follow the id rules
/// (1–256 characters, no control characters); names hold no ':' or ',', values no ',' (the request syntax separates
/// with them, <see cref="RequestFilterSyntax"/>). A field appears once per line.</item>
/// <item>Blank lines are skipped; a UTF-8 byte order mark at the start is allowed.</item>
/// </list>
/// Any other input refuses the whole file with a sentence naming the line: a node does not start on half a catalog.
/// </summary>
public static class ItemCatalogFile
{
    private static readonly JsonReaderOptions ReaderOptions = new() { AllowMultipleValues = true, MaxDepth = 4 };

    /// <summary>Null and the catalog, or a sentence saying why the file is refused.</summary>
    public static string? TryLoad(string path, out ItemCatalog? catalog)
    {
        catalog = null;
        var full = Path.GetFullPath(path);
        if (!File.Exists(full)) return $"item catalog {full} does not exist";
        var names = new List<string>();
        var nameIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var values = new Dictionary<string, string>(StringComparer.Ordinal); // one string per distinct value
        var items = new Dictionary<string, ItemAttribute[]>(StringComparer.Ordinal);
        var firstLine = new Dictionary<string, int>(StringComparer.Ordinal);
        try
        {
            using var reader = new StreamReader(full, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true), detectEncodingFromByteOrderMarks: false);
            var number = 0;
            while (reader.ReadLine() is { } line)
            {
                number++;
                if (number == 1 && line.StartsWith('\uFEFF')) line = line[1..];
                if (string.IsNullOrWhiteSpace(line)) continue;
                if (ParseLine(line, names, nameIndex, values, out var id, out var attributes) is { } problem)
                    return $"item catalog {full}, line {number}: {problem}";
                if (firstLine.TryGetValue(id!, out var earlier))
                    return $"item catalog {full}, line {number}: item \"{ReasonText.Quote(id)}\" is already on line {earlier}";
                firstLine[id!] = number;
                items[id!] = attributes!;
            }
        }
        catch (DecoderFallbackException)
        {
            return $"item catalog {full} is not valid UTF-8";
        }
        catch (IOException e)
        {
            return $"item catalog {full} cannot be read: {ReasonText.Bounded(e.Message)}";
        }
        catch (UnauthorizedAccessException e)
        {
            return $"item catalog {full} cannot be read: {ReasonText.Bounded(e.Message)}";
        }

        if (items.Count == 0) return $"item catalog {full} has no items";
        catalog = new ItemCatalog(full, names.ToArray(), items);
        return null;
    }

    private static string? ParseLine(string line, List<string> names, Dictionary<string, int> nameIndex, Dictionary<string, string> values,
        out string? id, out ItemAttribute[]? attributes)
    {
        id = null;
        attributes = null;
        var utf8 = Encoding.UTF8.GetBytes(line);
        var reader = new Utf8JsonReader(utf8, ReaderOptions);
        var pairs = new List<ItemAttribute>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject) return "expected a JSON object";
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (!TryText(ref reader, out var field)) return "a field name has an unpaired UTF-16 surrogate escape";
                if (!seen.Add(field)) return $"\"{ReasonText.Quote(field)}\" appears more than once";
                reader.Read();
                if (field == FilterTerm.ItemAttribute)
                {
                    if (ReadId(ref reader, out id) is { } idProblem) return idProblem;
                    continue;
                }

                if (EventIds.Problem(field, "an attribute name") is { } nameProblem) return nameProblem;
                if (field.AsSpan().IndexOfAny(':', ',') >= 0) return $"attribute name \"{ReasonText.Quote(field)}\" contains ':' or ','";
                if (!nameIndex.TryGetValue(field, out var name))
                {
                    name = names.Count;
                    names.Add(field);
                    nameIndex[field] = name;
                }

                if (ReadValues(ref reader, field, name, values, pairs) is { } valueProblem) return valueProblem;
            }

            if (reader.TokenType != JsonTokenType.EndObject) return "malformed JSON: unterminated object";
            if (reader.Read()) return "unexpected data after the JSON object";
        }
        catch (JsonException e)
        {
            return ReasonText.Bounded("malformed JSON: " + e.Message);
        }

        if (id is null) return "missing \"item\"";
        attributes = pairs.ToArray();
        return null;
    }

    private static string? ReadId(ref Utf8JsonReader reader, out string? id)
    {
        id = null;
        if (reader.TokenType == JsonTokenType.Number && reader.ValueSpan.IndexOfAnyExceptInRange((byte)'0', (byte)'9') < 0)
            id = Encoding.UTF8.GetString(reader.ValueSpan);
        else if (reader.TokenType != JsonTokenType.String) return "\"item\" must be a string or a non-negative integer";
        else if (!TryText(ref reader, out id)) return "\"item\" has an unpaired UTF-16 surrogate escape";
        if (EventIds.Problem(id, "\"item\"") is { } problem)
        {
            id = null;
            return problem;
        }

        return null;
    }

    private static string? ReadValues(ref Utf8JsonReader reader, string field, int name, Dictionary<string, string> values, List<ItemAttribute> pairs)
    {
        if (reader.TokenType == JsonTokenType.Null) return null;
        if (reader.TokenType != JsonTokenType.StartArray) return ReadValue(ref reader, field, name, values, pairs);
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType == JsonTokenType.Null) continue;
            if (ReadValue(ref reader, field, name, values, pairs) is { } problem) return problem;
        }

        return null;
    }

    private static string? ReadValue(ref Utf8JsonReader reader, string field, int name, Dictionary<string, string> values, List<ItemAttribute> pairs)
    {
        string? text;
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                if (!TryText(ref reader, out text)) return $"\"{ReasonText.Quote(field)}\" has an unpaired UTF-16 surrogate escape";
                break;
            case JsonTokenType.Number:
                text = Encoding.UTF8.GetString(reader.ValueSpan);
                break;
            case JsonTokenType.True:
                text = "true";
                break;
            case JsonTokenType.False:
                text = "false";
                break;
            default:
                return $"\"{ReasonText.Quote(field)}\" must be a string, a number, a boolean, null or an array of those";
        }

        if (EventIds.Problem(text, $"a value of \"{ReasonText.Quote(field)}\"") is { } problem) return problem;
        if (text.Contains(',')) return $"a value of \"{ReasonText.Quote(field)}\" contains ',' (\"{ReasonText.Quote(text)}\"), which separates request terms";
        if (!values.TryGetValue(text, out var shared)) values[text] = shared = text;
        pairs.Add(new ItemAttribute(name, shared));
        return null;
    }

    private static bool TryText(ref Utf8JsonReader reader, out string text)
    {
        text = "";
        if (reader.ValueIsEscaped && !JsonTextChecks.SurrogateEscapesArePaired(reader.ValueSpan)) return false;
        text = reader.GetString()!;
        return true;
    }
}
