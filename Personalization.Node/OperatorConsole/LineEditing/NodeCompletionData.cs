namespace Personalization.Node.OperatorConsole.LineEditing;

/// <summary>
/// Completion data from the first node of the session, each list cached for a few seconds and asked with a short
/// timeout: a slow or unreachable node makes Tab offer nothing rather than hang the prompt.
/// </summary>
public sealed class NodeCompletionData(AdminClient node) : ICompletionData
{
    private static readonly TimeSpan Fresh = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(2);
    private readonly Dictionary<string, (DateTime At, IReadOnlyList<string> Values)> _cache = new(StringComparer.Ordinal);

    public IReadOnlyList<string> MemberAddresses() =>
        Cached("members", async ct => (await node.ClusterAsync(ct)).Members.Select(m => m.Address).ToArray());

    public IReadOnlyList<string> ShardTypes() => Cached("types", async ct => (await node.RegionsAsync(ct)).TypeNames);

    public IReadOnlyList<string> UserIds() =>
        Cached("users", async ct => (await node.EntitiesAsync(500, ct)).Shards.SelectMany(s => s.EntityIds).Order(StringComparer.Ordinal).ToArray());

    public IReadOnlyList<string> DlqOffsets() =>
        Cached("dlq", async ct => (await node.DlqAsync(50, ct)).Records.Where(r => r.Replayed is null).Select(r => $"{r.Partition}:{r.Offset}").ToArray());

    public IReadOnlyList<string> WithdrawnItems() =>
        Cached("withdrawn", async ct => (await node.WithdrawnItemsAsync(500, ct)).Items.Select(i => i.ItemId).ToArray());

    public IReadOnlyList<string> Paths(string partial, bool foldersOnly) => LocalPaths(partial, foldersOnly);

    /// <summary>Entries of the folder part of <paramref name="partial"/> (~ is the home folder), folders with a trailing '/'.</summary>
    public static IReadOnlyList<string> LocalPaths(string partial, bool foldersOnly)
    {
        try
        {
            var slash = partial.LastIndexOf('/');
            var folderPart = slash < 0 ? "" : partial[..(slash + 1)];
            var folder = folderPart.Length == 0 ? "." : folderPart.StartsWith('~')
                ? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) + folderPart[1..]
                : folderPart;
            if (!Directory.Exists(folder)) return [];
            var name = partial[(slash + 1)..];
            bool Matches(string path) => Path.GetFileName(path).StartsWith(name, StringComparison.Ordinal);
            var folders = Directory.EnumerateDirectories(folder).Where(Matches).Select(d => folderPart + Path.GetFileName(d) + "/");
            var files = foldersOnly ? [] : Directory.EnumerateFiles(folder).Where(Matches).Select(f => folderPart + Path.GetFileName(f));
            return folders.Concat(files).Order(StringComparer.Ordinal).Take(500).ToArray();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return [];
        }
    }

    private IReadOnlyList<string> Cached(string key, Func<CancellationToken, Task<IReadOnlyList<string>>> fetch)
    {
        if (_cache.TryGetValue(key, out var hit) && DateTime.UtcNow - hit.At < Fresh) return hit.Values;
        using var timeout = new CancellationTokenSource(AskTimeout);
        IReadOnlyList<string> values;
        try
        {
            values = fetch(timeout.Token).WaitAsync(AskTimeout).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is ConsoleFailure or OperationCanceledException or TimeoutException or HttpRequestException)
        {
            values = [];
        }

        _cache[key] = (DateTime.UtcNow, values);
        return values;
    }
}
