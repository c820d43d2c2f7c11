using Personalization.Actors.Events;

namespace Personalization.Node.Demo;

/// <summary>
/// Reads a `user item` file (the SASRec format) and orders it for replay: users interleave round by round (every
/// user's k-th event before anyone's k+1-th, users shuffled per round by a fixed seed), so many sessions progress
/// at once and a user's recommendations keep changing during the replay. Each user's own order is kept.
/// </summary>
public static class SampleSessions
{
    public static List<(string User, string Item)> Load(string path)
    {
        var byUser = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var users = new List<string>();
        var lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (line.Length == 0) continue;
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2) throw new FormatException($"{path}:{lineNumber}: expected \"user item\", got \"{line}\"");
            if (!byUser.TryGetValue(parts[0], out var items))
            {
                byUser[parts[0]] = items = [];
                users.Add(parts[0]);
            }

            items.Add(parts[1]);
        }

        var random = new Random(2026);
        var order = new List<(string, string)>(lineNumber);
        for (var round = 0; ; round++)
        {
            var active = users.Where(u => byUser[u].Count > round).ToArray();
            if (active.Length == 0) break;
            random.Shuffle(active);
            foreach (var user in active) order.Add((user, byUser[user][round]));
        }

        return order;
    }

    public static ListeningEvent ToEvent((string User, string Item) pair, long timestamp) =>
        new(pair.User, pair.Item, EventType.Play, timestamp);
}
