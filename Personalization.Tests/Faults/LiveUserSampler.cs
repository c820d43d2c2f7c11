using System.Diagnostics;
using System.Net.Http.Json;
using Personalization.Actors.Sharding;
using Personalization.Node.Http.Admin;
using Personalization.Node.Local;

namespace Personalization.Tests.Faults;

/// <summary>
/// Samples, over and over while a fault lasts, the users live on every running node (the admin API's
/// <c>/admin/sharding/user/entities</c>: the region's entities and the node's own member status), and finds the users
/// that were live on two nodes at once.
/// </summary>
/// <remarks>
/// Two answers of different nodes are never taken at the same instant, so "in both answers" is not "live on both at
/// once": a user handed off between the two requests would look doubled. A user counts as doubled only when it was
/// live on node X in two consecutive answers of X (so, short of a stop and a restart in between, throughout the time
/// between them) and in an answer of another node Y given entirely within that time.
/// </remarks>
public sealed class LiveUserSampler : IAsyncDisposable
{
    /// <summary>Two answers of a node further apart than this do not vouch for the time between them.</summary>
    private static readonly TimeSpan MaxBracket = TimeSpan.FromSeconds(2);

    private readonly Func<IEnumerable<LocalNodeProcess>> _nodes;
    private readonly List<Sample> _samples = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private LiveUserSampler(Func<IEnumerable<LocalNodeProcess>> nodes)
    {
        _nodes = nodes;
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>One answer: which node (name and process, so a restarted node is another incarnation), when it was asked and answered, its own status, its users.</summary>
    public sealed record Sample(string Node, long Asked, long Answered, string Status, IReadOnlySet<string> Users)
    {
        /// <summary>The node still counts itself a member (not Exiting, Down or Removed).</summary>
        public bool Member => Status is "Joining" or "WeaklyUp" or "Up" or "Leaving";
    }

    /// <summary>A user live on two nodes at once: <paramref name="BothMembers"/> when both nodes still counted themselves members.</summary>
    public sealed record Overlap(string User, string Node, string Other, double AtSeconds, bool BothMembers);

    public int Count
    {
        get { lock (_samples) return _samples.Count; }
    }

    public static LiveUserSampler Start(Func<IEnumerable<LocalNodeProcess>> nodes) => new(nodes);

    public async Task StopAsync()
    {
        if (!_stop.IsCancellationRequested) await _stop.CancelAsync();
        await _loop;
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    /// <summary>Every user found live on two nodes at once (see the remarks), in time order.</summary>
    public IReadOnlyList<Overlap> Overlaps()
    {
        List<Sample> samples;
        lock (_samples) samples = [.. _samples];
        var start = samples.Count > 0 ? samples.Min(s => s.Asked) : 0;
        var overlaps = new List<Overlap>();
        foreach (var byNode in samples.GroupBy(s => s.Node))
        {
            var own = byNode.OrderBy(s => s.Asked).ToList();
            for (var i = 0; i + 1 < own.Count; i++)
            {
                var (before, after) = (own[i], own[i + 1]);
                if (Stopwatch.GetElapsedTime(before.Answered, after.Asked) > MaxBracket) continue;
                var throughout = before.Users.Intersect(after.Users).ToHashSet();
                if (throughout.Count == 0) continue;
                foreach (var other in samples.Where(s => s.Node != before.Node && s.Asked >= before.Answered && s.Answered <= after.Asked))
                {
                    foreach (var user in other.Users.Where(throughout.Contains))
                    {
                        overlaps.Add(new Overlap(user, before.Node, other.Node, Stopwatch.GetElapsedTime(start, other.Asked).TotalSeconds,
                            before.Member && after.Member && other.Member));
                    }
                }
            }
        }

        return [.. overlaps.OrderBy(o => o.AtSeconds)];
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            foreach (var node in _nodes().ToList())
            {
                if (_stop.IsCancellationRequested) break;
                var asked = Stopwatch.GetTimestamp();
                try
                {
                    var state = await node.Http.GetFromJsonAsync(
                        $"/admin/sharding/{UserShardRegion.TypeName}/entities?limit=1000000", AdminJsonContext.Default.ShardEntitiesDto, _stop.Token);
                    var sample = new Sample($"{node.Name}#{node.Id}", asked, Stopwatch.GetTimestamp(), state!.NodeStatus,
                        state.Shards.SelectMany(s => s.EntityIds).ToHashSet());
                    lock (_samples) _samples.Add(sample);
                }
                catch (Exception e) when (e is HttpRequestException or OperationCanceledException or InvalidOperationException or System.Text.Json.JsonException)
                {
                    // A node that is gone, not up yet or too busy to answer has nothing to say for this round.
                }
            }

            try
            {
                await Task.Delay(100, _stop.Token); // the sampling rate, not a synchronisation
            }
            catch (OperationCanceledException)
            {
            }
        }
    }
}
