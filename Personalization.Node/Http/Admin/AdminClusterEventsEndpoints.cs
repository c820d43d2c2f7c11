using System.Text.Json;
using System.Threading.Channels;
using Akka.Actor;
using Akka.Cluster;

namespace Personalization.Node.Http.Admin;

/// <summary>
/// <c>cluster tail</c>: membership changes as they happen, as server-sent events (<c>text/event-stream</c>): an actor
/// subscribed to the cluster's events for as long as the client listens, the current state first (Akka's
/// InitialStateAsEvents), a comment line every 15 s so proxies keep the connection. The stream ends when the client
/// goes away or the node shuts down.
/// </summary>
internal static class AdminClusterEventsEndpoints
{
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    public static void MapAdminClusterEventsEndpoints(this IEndpointRouteBuilder admin)
    {
        admin.MapGet("/cluster/events", async (HttpContext http, ActorSystem system, IHostApplicationLifetime lifetime) =>
        {
            var events = Channel.CreateBounded<ClusterEventDto>(new BoundedChannelOptions(1024) { FullMode = BoundedChannelFullMode.DropOldest });
            var forwarder = system.ActorOf(Props.Create(() => new ClusterEventForwarder(events.Writer)));
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, lifetime.ApplicationStopping);
            try
            {
                http.Response.ContentType = "text/event-stream";
                http.Response.Headers.CacheControl = "no-cache";
                http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpResponseBodyFeature>()?.DisableBuffering();
                await http.Response.WriteAsync(": cluster events of " + Cluster.Get(system).SelfAddress + "\n\n", stop.Token);
                await http.Response.Body.FlushAsync(stop.Token);
                while (!stop.IsCancellationRequested)
                {
                    using var wait = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
                    wait.CancelAfter(KeepAlive);
                    try
                    {
                        if (!await events.Reader.WaitToReadAsync(wait.Token)) break;
                    }
                    catch (OperationCanceledException) when (!stop.IsCancellationRequested)
                    {
                        await http.Response.WriteAsync(": keep-alive\n\n", stop.Token);
                        await http.Response.Body.FlushAsync(stop.Token);
                        continue;
                    }

                    while (events.Reader.TryRead(out var e))
                        await http.Response.WriteAsync($"event: {e.Kind}\ndata: {JsonSerializer.Serialize(e, ConsoleJsonContext.Default.ClusterEventDto)}\n\n", stop.Token);
                    await http.Response.Body.FlushAsync(stop.Token);
                }
            }
            catch (OperationCanceledException)
            {
                // The client left or the node stops: the stream just ends.
            }
            finally
            {
                forwarder.Tell(PoisonPill.Instance);
            }
        });
    }

    /// <summary>Subscribed to membership, reachability and leader events while it lives; writes each into the channel.</summary>
    private sealed class ClusterEventForwarder(ChannelWriter<ClusterEventDto> events) : UntypedActor
    {
        private readonly Cluster _cluster = Cluster.Get(Context.System);

        protected override void PreStart() =>
            _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
                typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent), typeof(ClusterEvent.LeaderChanged));

        protected override void PostStop()
        {
            _cluster.Unsubscribe(Self);
            events.TryComplete();
        }

        protected override void OnReceive(object message)
        {
            if (Describe(message) is { } e) events.TryWrite(e);
        }

        internal static ClusterEventDto? Describe(object message)
        {
            var now = DateTimeOffset.UtcNow;
            return message switch
            {
                ClusterEvent.MemberJoined m => Member(now, "member-joined", m.Member),
                ClusterEvent.MemberWeaklyUp m => Member(now, "member-weakly-up", m.Member),
                ClusterEvent.MemberUp m => Member(now, "member-up", m.Member),
                ClusterEvent.MemberLeft m => Member(now, "member-left", m.Member),
                ClusterEvent.MemberExited m => Member(now, "member-exited", m.Member),
                ClusterEvent.MemberDowned m => Member(now, "member-downed", m.Member),
                ClusterEvent.MemberRemoved m => Member(now, "member-removed", m.Member, $"previous status {m.PreviousStatus}"),
                ClusterEvent.UnreachableMember m => Member(now, "unreachable", m.Member),
                ClusterEvent.ReachableMember m => Member(now, "reachable", m.Member),
                ClusterEvent.LeaderChanged l => new ClusterEventDto(now, "leader-changed", l.Leader?.ToString(), null, [], l.Leader is null ? "no leader" : null),
                _ => null,
            };
        }

        private static ClusterEventDto Member(DateTimeOffset now, string kind, Member member, string? detail = null) =>
            new(now, kind, member.Address.ToString(), member.Status.ToString(), member.Roles.Order(StringComparer.Ordinal).ToArray(), detail);
    }
}
