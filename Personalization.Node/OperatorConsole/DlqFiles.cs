using System.Text.Json;
using System.Text.Json.Nodes;
using Personalization.Node.Http.Admin;

namespace Personalization.Node.OperatorConsole;

/// <summary>
/// The file of <c>dlq export</c> and <c>dlq replay --file</c>: JSON lines, one DLQ record each,
/// <c>{"partition":0,"offset":12,"value":{…the event…},"reason":"…"}</c>. On replay <c>value</c> is the corrected event
/// (a JSON object, or a string holding its JSON text); null or absent replays the original value; other fields are
/// ignored; blank lines and lines starting with # are skipped.
/// </summary>
public static class DlqFiles
{
    public static IReadOnlyList<string> ExportLines(DlqPageDto page) =>
        page.Records.Where(r => r.Replayed is null).Select(r =>
        {
            var line = new JsonObject
            {
                ["partition"] = r.Partition,
                ["offset"] = r.Offset,
                ["value"] = ValueNode(r.Value),
                ["reason"] = r.Reason,
                ["key"] = r.Key,
            };
            return line.ToJsonString();
        }).ToArray();

    /// <summary>The records of the file, or a <see cref="ConsoleFailure"/> naming the line that is wrong.</summary>
    public static IReadOnlyList<DlqReplayItem> Read(string path)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConsoleFailure(ConsoleExitCodes.Usage, $"cannot read {path}: {e.Message}");
        }

        var items = new List<DlqReplayItem>();
        for (var i = 0; i < lines.Length; i++)
        {
            var text = lines[i].Trim();
            if (text.Length == 0 || text.StartsWith('#')) continue;
            try
            {
                using var doc = JsonDocument.Parse(text);
                var root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object) throw new FormatException("not a JSON object");
                if (!root.TryGetProperty("partition", out var p) || !p.TryGetInt32(out var partition) || partition < 0)
                    throw new FormatException("\"partition\" must be a non-negative integer");
                if (!root.TryGetProperty("offset", out var o) || !o.TryGetInt64(out var offset) || offset < 0)
                    throw new FormatException("\"offset\" must be a non-negative integer");
                string? value = null;
                if (root.TryGetProperty("value", out var v))
                {
                    value = v.ValueKind switch
                    {
                        JsonValueKind.Null => null,
                        JsonValueKind.String => v.GetString(),
                        JsonValueKind.Object => v.GetRawText(),
                        _ => throw new FormatException("\"value\" must be the corrected event (an object or its JSON text) or null"),
                    };
                }

                items.Add(new DlqReplayItem(partition, offset, value));
            }
            catch (Exception e) when (e is JsonException or FormatException)
            {
                throw new ConsoleFailure(ConsoleExitCodes.Usage, $"{path}:{i + 1}: {e.Message}");
            }
        }

        if (items.Count == 0) throw new ConsoleFailure(ConsoleExitCodes.Usage, $"{path} names no DLQ record");
        return items;
    }

    // The original value as the JSON it is when it parses (so it can be corrected in place), else as a string.
    private static JsonNode? ValueNode(string? value)
    {
        if (value is null) return null;
        try
        {
            return JsonNode.Parse(value) is JsonObject obj ? obj : JsonValue.Create(value);
        }
        catch (JsonException)
        {
            return JsonValue.Create(value);
        }
    }
}
