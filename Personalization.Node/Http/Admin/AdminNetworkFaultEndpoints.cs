using Akka.Actor;
using Akka.Cluster;
using Akka.Remote;
using Akka.Remote.Transport;

namespace Personalization.Node.Http.Admin;

/// <summary>
/// <b>Test only</b>, mapped only with <c>Cluster:NetworkFaultInjection</c> (off by default): cuts or restores all
/// remoting traffic between this node and a peer, for the fault suite's network partition
/// (<c>Faults/NetworkPartitionFaultTests</c>).
/// </summary>
/// <remarks>
/// Why this mechanism: a partition must cut Akka remoting between processes on one machine, where every node listens
/// on 127.0.0.1, while Kafka and the database stay reachable. Port-based packet filters (iptables, not even installed
/// on the test machine) cannot tell a partition's connections from the others: a node's outgoing connections come
/// from ephemeral ports, and classic remoting reuses one connection for both directions. Network namespaces do work
/// on the test machine, but only as root, and each node would need its own namespace, veth pair and routes to the
/// broker and the database. Akka.Remote's own throttler adapter — what Akka's multi-node TestConductor blackholes
/// links with — needs no privilege: it drops every message to and from a peer inside the node, the TCP connection
/// stays open, the peers see silence, their failure detectors mark the node unreachable, and the split-brain resolver
/// decides as after a real partition. Cutting on one side is enough: Direction.Both drops what this node sends and
/// what it receives.
/// </remarks>
internal static class AdminNetworkFaultEndpoints
{
    private static readonly TimeSpan ApplyTimeout = TimeSpan.FromSeconds(5);

    public static void MapAdminNetworkFaultEndpoints(this IEndpointRouteBuilder admin)
    {
        admin.MapPost("/faults/network/cut", (ClusterAddressRequest? request, ActorSystem system, ILoggerFactory logs) =>
            ThrottleAsync(system, request, Blackhole.Instance, logs.CreateLogger(typeof(AdminNetworkFaultEndpoints).FullName!)));
        admin.MapPost("/faults/network/heal", (ClusterAddressRequest? request, ActorSystem system, ILoggerFactory logs) =>
            ThrottleAsync(system, request, Unthrottled.Instance, logs.CreateLogger(typeof(AdminNetworkFaultEndpoints).FullName!)));
    }

    private static async Task<IResult> ThrottleAsync(ActorSystem system, ClusterAddressRequest? request, ThrottleMode mode, ILogger logger)
    {
        if (AdminClusterEndpoints.ParseAddress(request, out var address) is { } bad) return bad;
        var cluster = Cluster.Get(system);
        if (address!.Equals(cluster.SelfAddress))
            return AdminEndpoints.Error(StatusCodes.Status400BadRequest, $"{address} is this node: a node cannot be cut off from itself");
        var cut = mode is Blackhole;
        // Cutting needs a peer the node knows; healing works for any address (the peer may have been removed since).
        if (cut && !cluster.State.Members.Any(m => m.Address.Equals(address)))
        {
            return AdminEndpoints.Error(StatusCodes.Status404NotFound,
                $"{address} is not a member of the cluster; members: {string.Join(", ", cluster.State.Members.Select(m => m.Address.ToString()))}");
        }

        bool applied;
        try
        {
            // The cluster's provider is the remote one; RARP, which would say so, is internal to Akka.Remote.
            var remoting = ((IRemoteActorRefProvider)((ExtendedActorSystem)system).Provider).Transport;
            applied = await remoting
                .ManagementCommand(new SetThrottle(address, ThrottleTransportAdapter.Direction.Both, mode))
                .WaitAsync(ApplyTimeout);
        }
        catch (Exception e) when (e is TimeoutException or AskTimeoutException or AggregateException)
        {
            applied = false; // the throttler's manager did not answer (its Ask failed inside the continuation)
        }

        if (!applied)
        {
            return AdminEndpoints.Error(StatusCodes.Status409Conflict,
                $"remoting did not apply the throttle to {address} within {ApplyTimeout.TotalSeconds:0} s (is the throttler adapter loaded? Cluster:NetworkFaultInjection)");
        }

        var what = cut ? $"remoting between {cluster.SelfAddress} and {address} is cut (every message dropped, both ways)" : $"remoting between {cluster.SelfAddress} and {address} is restored";
        logger.LogWarning("Network fault injection: {What}", what);
        return Results.Json(new MessageDto(what), AdminJsonContext.Default.MessageDto);
    }
}
