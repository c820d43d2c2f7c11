using Personalization.Actors.Events;
using Personalization.Node.Demo;

namespace Personalization.Tests.Infrastructure;

/// <summary>Real sessions from the shipped sample, interleaved across users as the demo replays them.</summary>
public sealed class SampleWorkload
{
    private SampleWorkload(List<ListeningEvent> events)
    {
        Events = events;
        ItemsByUser = events.GroupBy(e => e.UserId).ToDictionary(g => g.Key, g => g.Select(e => e.ItemId).ToList());
    }

    public List<ListeningEvent> Events { get; }

    /// <summary>Each user's items in the order they were produced.</summary>
    public Dictionary<string, List<string>> ItemsByUser { get; }

    /// <summary>The first <paramref name="users"/> users of the sample (by id), all their events, interleaved.</summary>
    public static SampleWorkload Take(int users)
    {
        var all = SampleSessions.Load(RepositoryPaths.SampleSessions);
        var chosen = all.Select(e => e.User).Distinct().Order(StringComparer.Ordinal).Take(users).ToHashSet();
        var ts = 1_700_000_000_000L;
        return new SampleWorkload(all.Where(e => chosen.Contains(e.User)).Select(e => SampleSessions.ToEvent(e, ts++)).ToList());
    }
}
