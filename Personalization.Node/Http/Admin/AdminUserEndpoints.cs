using Akka.Actor;
using Akka.Cluster;
using Akka.Hosting;
using Personalization.Actors.Sessions;
using Personalization.Actors.Sharding;

namespace Personalization.Node.Http.Admin;

/// <summary>
/// <c>user inspect &lt;id&gt;</c>: asks the user's actor through the shard region (<see cref="InspectUser"/>, answered by
/// <c>UserSession.Inspect</c>, which changes nothing), so any node answers for any user. Without a cached ranking the
/// top items are asked as an ordinary recommendation query.
/// </summary>
internal static class AdminUserEndpoints
{
    public const int DefaultK = 10;

    public static void MapAdminUserEndpoints(this IEndpointRouteBuilder admin)
    {
        admin.MapGet("/users/{userId}/inspect", async (string userId, string? k, IRequiredActor<UserShardRegion> region, ActorSystem system, CancellationToken ct) =>
        {
            if (UserEndpoints.ValidateUser(userId) is { } bad) return bad;
            var count = DefaultK;
            if (k is not null && (!int.TryParse(k, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out count) || count is < 1 or > UserEndpoints.MaxK))
                return AdminEndpoints.Error(StatusCodes.Status400BadRequest, $"k must be an integer from 1 to {UserEndpoints.MaxK}");
            var inspected = await UserEndpoints.AskUser<UserInspection>(region, new InspectUser(userId, count), ct);
            if (inspected.Error is not null) return inspected.Error;
            var i = inspected.Value!;
            var source = "cached";
            IReadOnlyList<RecommendedItemDto> top = i.TopK.Select(t => new RecommendedItemDto(t.ItemId, t.Score)).ToArray();
            if (!i.TopKCached)
            {
                var ranked = await UserEndpoints.AskUser<Recommendations>(region, new GetRecommendations(userId, count), ct);
                if (ranked.Error is not null) return ranked.Error;
                source = ranked.Value!.ColdStart ? "cold-start" : "ranked";
                top = ranked.Value.Items.Take(count).Select(t => new RecommendedItemDto(t.ItemId, t.Score)).ToArray();
            }

            return Results.Json(
                new UserInspectionDto(
                    userId, i.Node, i.ShardId, Cluster.Get(system).SelfAddress.ToString(), UserEndpoints.SessionDtoOf(i.Session),
                    i.ModelName, i.StateSize, i.StateNorm,
                    i.PendingAcks.Select(a => new PendingAcksDto(a.Partition, a.Count, a.FirstOffset, a.LastOffset)).ToArray(),
                    i.EventsWaiting, i.StepInFlight, i.CheckpointsInFlight, i.EventsSinceCheckpoint, source, top,
                    i.Companions.Select(c => new CompanionStateDto(c.ModelName, c.ModelVersion, c.ModelSteps, c.EventsReflected, c.Building)).ToArray()),
                ConsoleJsonContext.Default.UserInspectionDto);
        });
    }
}
