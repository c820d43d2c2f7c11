namespace Personalization.Node.OperatorConsole.LineEditing;

/// <summary>What completion asks of the nodes and the local disk; every answer may be empty (node unreachable, slow).</summary>
public interface ICompletionData
{
    IReadOnlyList<string> MemberAddresses();

    IReadOnlyList<string> ShardTypes();

    /// <summary>Users live on the node (a bounded list).</summary>
    IReadOnlyList<string> UserIds();

    /// <summary>DLQ records not replayed yet, as <c>partition:offset</c>.</summary>
    IReadOnlyList<string> DlqOffsets();

    /// <summary>Paths under the folder part of <paramref name="partial"/> that start with its last part; folders end in '/'.</summary>
    IReadOnlyList<string> Paths(string partial, bool foldersOnly);

    /// <summary>Items withdrawn cluster-wide (a bounded list).</summary>
    IReadOnlyList<string> WithdrawnItems() => [];
}

/// <summary>
/// Tab completion of the console's commands and arguments, from the catalog (<see cref="ConsoleCommandParser.Catalog"/>):
/// the first word (cluster, model, user, dlq, …), the subcommand, then each argument by its
/// <see cref="ArgumentKind"/> — member addresses, shard types, live user ids, DLQ offsets from the node; folders
/// (<c>model load</c>: a path on the node, completed from this machine's disk, the same one when the node is local)
/// and files from the local disk. Pure apart from <see cref="ICompletionData"/>.
/// </summary>
public sealed class ConsoleCompleter(ICompletionData data)
{
    private static readonly string[] Extra = ["quit"];

    public Completion Complete(string line, int cursor)
    {
        cursor = Math.Clamp(cursor, 0, line.Length);
        var start = WordStart(line, cursor);
        var word = line[start..cursor].TrimStart('"', '\'');
        var (before, error) = CommandLineWords.Split(line[..start]);
        if (error is not null) return Completion.None;
        var candidates = Candidates(before, word);
        var matching = candidates.Where(c => c.StartsWith(word, StringComparison.OrdinalIgnoreCase)).Distinct(StringComparer.Ordinal).ToArray();
        return new Completion(start, matching);
    }

    private IReadOnlyList<string> Candidates(IReadOnlyList<string> before, string word)
    {
        var catalog = ConsoleCommandParser.Catalog;
        if (before.Count == 0) return catalog.Select(s => s.Words[0]).Concat(Extra).Distinct().ToArray();

        // A subcommand: specs whose words start with what is typed and go on.
        var going = catalog.Where(s => s.Words.Length > before.Count && Prefix(s.Words, before)).ToArray();
        if (going.Length > 0) return going.Select(s => s.Words[before.Count]).Distinct().ToArray();

        var spec = catalog.Where(s => s.Words.Length <= before.Count && Prefix(before, s.Words)).MaxBy(s => s.Words.Length);
        if (spec is null) return [];
        var index = before.Count - spec.Words.Length;
        if (index >= spec.MaxArguments) return [];
        return spec.CompletionOf(index) switch
        {
            ArgumentKind.MemberAddress => data.MemberAddresses(),
            ArgumentKind.ShardType => data.ShardTypes(),
            ArgumentKind.UserId => data.UserIds(),
            ArgumentKind.WithdrawnItem => data.WithdrawnItems(),
            ArgumentKind.NodeFolder => data.Paths(word, foldersOnly: true),
            ArgumentKind.LocalFile => data.Paths(word, foldersOnly: false),
            ArgumentKind.DlqReplay when index > 0 && before[^1] == "--file" => data.Paths(word, foldersOnly: false),
            ArgumentKind.DlqReplay when index > 0 && before[spec.Words.Length] == "--file" => [],
            ArgumentKind.DlqReplay => index == 0 ? ["--file", .. data.DlqOffsets()] : data.DlqOffsets().Except(before.Skip(spec.Words.Length)).ToArray(),
            _ => [],
        };
    }

    private static bool Prefix(IReadOnlyList<string> words, IReadOnlyList<string> prefix) =>
        prefix.Select((w, i) => w.Equals(words[i], StringComparison.OrdinalIgnoreCase)).All(m => m);

    // The word at the cursor starts after the last blank that is not inside quotes.
    private static int WordStart(string line, int cursor)
    {
        var start = 0;
        char? quote = null;
        for (var i = 0; i < cursor; i++)
        {
            var c = line[i];
            if (quote is { } q)
            {
                if (c == q) quote = null;
            }
            else if (c is '"' or '\'')
            {
                quote = c;
            }
            else if (c == ' ')
            {
                start = i + 1;
            }
        }

        return start;
    }
}
