using Akka.Actor;
using Akka.Cluster;

namespace Personalization.Node.Http.Admin;

/// <summary>
/// pbm's <c>cluster show | leave | down | join</c>. Answers come from this node's gossip view
/// (<see cref="Cluster.State"/>); leave/down/join are fire-and-forget in Akka, so they answer 202 once issued.
/// </summary>
internal static class AdminClusterEndpoints
{
    public static void MapAdminClusterEndpoints(this IEndpointRouteBuilder admin, AdminAudit audit)
    {
        admin.MapGet("/cluster", (ActorSystem system) =>
            Results.Json(Describe(Cluster.Get(system)), AdminJsonContext.Default.ClusterStateDto));

        admin.MapPost("/cluster/leave", (ClusterAddressRequest? request, ActorSystem system, HttpContext http) =>
            WithMember(http, audit, "cluster leave", system, request, (cluster, address) =>
            {
                cluster.Leave(address);
                return $"{address} is leaving the cluster (its shards hand off, then it shuts down)";
            }));

        admin.MapPost("/cluster/down", (ClusterAddressRequest? request, ActorSystem system, HttpContext http) =>
            WithMember(http, audit, "cluster down", system, request, (cluster, address) =>
            {
                cluster.Down(address);
                return $"{address} is marked down (it is removed without handing off; its users restart from their checkpoints elsewhere)";
            }));

        admin.MapPost("/cluster/join", (ClusterAddressRequest? request, ActorSystem system, HttpContext http) =>
        {
            if (ParseAddress(request, out var address) is { } bad)
            {
                audit.Record(http, "cluster join", request?.Address ?? "", "refused: not a cluster address");
                return bad;
            }

            var cluster = Cluster.Get(system);
            cluster.Join(address!);
            audit.Record(http, "cluster join", address!.ToString(), "issued");
            return Results.Json(new MessageDto($"{cluster.SelfAddress} is joining {address}"), AdminJsonContext.Default.MessageDto, statusCode: StatusCodes.Status202Accepted);
        });
    }

    private static ClusterStateDto Describe(Cluster cluster)
    {
        var state = cluster.State;
        var unreachable = state.Unreachable.Select(m => m.Address).ToHashSet();
        var upOrder = 0;
        var members = state.Members
            .OrderBy(m => m, Member.AgeOrdering) // oldest first: the order singletons and the sharding coordinator follow
            .Select(m => new MemberDto(
                m.Address.ToString(),
                m.Status.ToString(),
                m.Roles.Order(StringComparer.Ordinal).ToArray(),
                m.Status == MemberStatus.Up || m.Status == MemberStatus.Leaving ? ++upOrder : null,
                !unreachable.Contains(m.Address),
                m.Address.Equals(state.Leader),
                m.Address.Equals(cluster.SelfAddress)))
            .ToArray();
        return new ClusterStateDto(
            cluster.SelfAddress.ToString(),
            state.Leader?.ToString(),
            members,
            unreachable.Select(a => a.ToString()).Order(StringComparer.Ordinal).ToArray());
    }

    private static IResult WithMember(HttpContext http, AdminAudit audit, string action, ActorSystem system, ClusterAddressRequest? request, Func<Cluster, Address, string> act)
    {
        if (ParseAddress(request, out var address) is { } bad)
        {
            audit.Record(http, action, request?.Address ?? "", "refused: not a cluster address");
            return bad;
        }

        var cluster = Cluster.Get(system);
        var members = cluster.State.Members.Select(m => m.Address).ToArray();
        if (!members.Contains(address))
        {
            audit.Record(http, action, address!.ToString(), "refused: not a member");
            return AdminEndpoints.Error(StatusCodes.Status404NotFound,
                $"{address} is not a member of the cluster; members: {string.Join(", ", members.Select(m => m.ToString()))}");
        }

        var done = act(cluster, address!);
        audit.Record(http, action, address!.ToString(), "issued");
        return Results.Json(new MessageDto(done), AdminJsonContext.Default.MessageDto, statusCode: StatusCodes.Status202Accepted);
    }

    internal static IResult? ParseAddress(ClusterAddressRequest? request, out Address? address)
    {
        address = null;
        if (string.IsNullOrWhiteSpace(request?.Address))
            return AdminEndpoints.Error(StatusCodes.Status400BadRequest, "the body must be {\"address\": \"akka.tcp://system@host:port\"}");
        if (!ClusterAddresses.TryParse(request.Address, out address, out var problem))
            return AdminEndpoints.Error(StatusCodes.Status400BadRequest, problem);
        return null;
    }
}
