using System.Globalization;

namespace Personalization.Tests.Infrastructure;

/// <summary>
/// A process as /proc knows it: id plus start time (clock ticks since boot), so a recycled id is not mistaken for the
/// process it once named.
/// </summary>
public readonly record struct ProcessIdentity(int Id, long StartTicks, string CommandLine)
{
    public bool IsRunning => ProcessTree.Read(Id) is { } now && now.StartTicks == StartTicks && !ProcessTree.IsZombie(Id);

    public override string ToString() => $"{Id} ({CommandLine})";
}

/// <summary>Processes by parent id, read from /proc (Linux).</summary>
public static class ProcessTree
{
    /// <summary>Every process below <paramref name="root"/> (children, their children, …), found by parent id.</summary>
    public static List<ProcessIdentity> Descendants(int root)
    {
        var byParent = new Dictionary<int, List<int>>();
        foreach (var id in AllIds())
            if (ParentOf(id) is { } parent)
            {
                if (!byParent.TryGetValue(parent, out var children)) byParent[parent] = children = [];
                children.Add(id);
            }

        var found = new List<ProcessIdentity>();
        var pending = new Queue<int>([root]);
        while (pending.TryDequeue(out var id))
            foreach (var child in byParent.GetValueOrDefault(id, []))
            {
                if (Read(child) is { } identity) found.Add(identity);
                pending.Enqueue(child);
            }

        return found;
    }

    /// <summary>Running processes whose command line contains <paramref name="text"/> (e.g. a data folder).</summary>
    public static List<ProcessIdentity> WithCommandLineContaining(string text) =>
        AllIds().Select(Read).OfType<ProcessIdentity>().Where(p => p.CommandLine.Contains(text, StringComparison.Ordinal) && !IsZombie(p.Id)).ToList();

    public static ProcessIdentity? Read(int id)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{id}/stat");
            // Fields after the command name (which may hold spaces and parentheses): state is field 3, start time field 22.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var startTicks = long.Parse(fields[19], CultureInfo.InvariantCulture);
            var commandLine = File.ReadAllText($"/proc/{id}/cmdline").Replace('\0', ' ').Trim();
            return new ProcessIdentity(id, startTicks, commandLine);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null; // gone meanwhile
        }
    }

    internal static bool IsZombie(int id)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{id}/stat");
            return stat[(stat.LastIndexOf(')') + 2)] == 'Z';
        }
        catch (IOException)
        {
            return true;
        }
    }

    private static int? ParentOf(int id)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{id}/stat");
            return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    private static IEnumerable<int> AllIds() =>
        Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Where(n => n!.All(char.IsAsciiDigit)).Select(n => int.Parse(n!, CultureInfo.InvariantCulture));
}
