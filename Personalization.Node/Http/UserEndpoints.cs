using Akka.Actor;
using Akka.Hosting;
using Personalization.Actors.Events;
using Personalization.Actors.Filters;
using Personalization.Actors.Model;
using Personalization.Actors.Serving;
using Personalization.Actors.Sessions;
using Personalization.Actors.Sharding;
using Personalization.Node.Hosting;
using Personalization.Node.Http.Filters;

namespace Personalization.Node.Http;

/// <summary>Queries for one user: answered by that user's actor, wherever in the cluster it lives.</summary>
public static class UserEndpoints
{
    public const int MaxK = 100;
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(5);

    public static void MapUserEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/users/{userId}/recommendations", async (
            string userId, string? k, IRequiredActor<UserShardRegion> region, ServingLane lane, LastAnswers lastAnswers, IModelProvider models,
            NodeOptions options, BusinessFilters filters, HttpContext http, CancellationToken ct) =>
        {
            if (ValidateUser(userId) is { } bad) return bad;
            var count = 10;
            if (k is not null && (!int.TryParse(k, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out count) || count < 1 || count > MaxK))
                return Error(StatusCodes.Status400BadRequest, $"k must be an integer from 1 to {MaxK}, got \"{ReasonText.Quote(k)}\"");
            // exclude=/include= and the items withdrawn cluster-wide, applied to whichever list answers (Http/Filters).
            if (filters.ForRequest(http.Request, out var filter) is { } refused) return Error(StatusCodes.Status400BadRequest, refused);
            using var span = QueryTracing.Start(http, userId, count);
            // A user who lives on this node is answered from its serving view, off its actor; others by their actor.
            if (await FilteredRankings.FromLaneAsync(filter, count, size => lane.TryAnswerAsync(userId, size, ct)) is { } served)
            {
                lastAnswers.Remember(served, Environment.TickCount64);
                QueryTracing.Answered(span, served, null);
                return Results.Json(Dto(served, count, null), ApiJsonContext.Default.RecommendationsDto);
            }

            var budget = TimeSpan.FromMilliseconds(options.Http.QueryTimeoutMs);
            var answer = await FilteredRankings.FromActorAsync(filter, count, budget,
                (size, left) => AskUser<Recommendations>(region, new GetRecommendations(userId, size), ct, left));
            if (answer.Value is { } live)
            {
                lastAnswers.Remember(live, Environment.TickCount64);
                QueryTracing.Answered(span, live, null);
                return Results.Json(Dto(live, count, null), ApiJsonContext.Default.RecommendationsDto);
            }

            span?.SetTag("personalization.degraded", answer.Why);
            return DegradedAnswers.For(userId, count, answer.Why!, lastAnswers, models, filter) is { } degraded
                ? Results.Json(degraded, ApiJsonContext.Default.RecommendationsDto)
                : answer.Error!;
        }).RequireRateLimiting(HttpApiHosting.PublicPolicy);

        app.MapGet("/users/{userId}/session", async (string userId, IRequiredActor<UserShardRegion> region, CancellationToken ct) =>
        {
            if (ValidateUser(userId) is { } bad) return bad;
            var answer = await AskUser<SessionView>(region, new GetSession(userId), ct);
            if (answer.Error is not null) return answer.Error;
            return Results.Json(
                SessionDtoOf(answer.Value!),
                ApiJsonContext.Default.SessionDto);
        }).RequireRateLimiting(HttpApiHosting.PublicPolicy);
    }

    internal static IResult Error(int status, string message) => ApiProblems.Problem(status, message);

    internal static SessionDto SessionDtoOf(SessionView v) => new(
        v.UserId,
        v.EventCount,
        new Dictionary<string, long>
        {
            ["play"] = v.Plays, ["skip"] = v.Skips, ["like"] = v.Likes, ["add_to_playlist"] = v.PlaylistAdds,
        },
        v.EventCount == 0 ? null : v.FirstEventAt,
        v.EventCount == 0 ? null : v.LastEventAt,
        v.Recent.Select(r => new RecentItemDto(r.ItemId, r.Type.ToWireName(), r.Timestamp)).ToArray(),
        v.ModelVersion,
        v.ModelSteps,
        v.AppliedOffsets.Select(o => new PartitionOffsetDto(o.Partition, o.Offset)).ToArray(),
        v.DurableOffsets.Select(o => new PartitionOffsetDto(o.Partition, o.Offset)).ToArray());

    // The path's id obeys the rules of an event's "user" (the route value is the percent-decoded path segment).
    internal static IResult? ValidateUser(string userId) =>
        EventIds.Problem(userId, "user id") is { } problem
            ? Error(StatusCodes.Status400BadRequest, $"{problem}: a user id must be 1 to {ListeningEventJson.MaxIdLength} characters of text")
            : null;

    internal static RecommendationsDto Dto(Recommendations r, int k, DegradedDto? degraded) => new(
        r.UserId, r.Items.Take(k).Select(i => new RecommendedItemDto(i.ItemId, i.Score)).ToArray(), new ModelDto(r.ModelName, r.ModelVersion),
        r.EventsReflected, r.ColdStart, degraded);

    /// <summary>The user actor's answer, or why there is none (<c>Why</c>, for a degraded answer) and the error to give otherwise.</summary>
    internal static async Task<(T? Value, string? Why, IResult? Error)> AskUser<T>(
        IRequiredActor<UserShardRegion> region, IUserMessage message, CancellationToken ct, TimeSpan? timeout = null)
        where T : class
    {
        var budget = timeout ?? AskTimeout;
        try
        {
            var shardRegion = await region.GetAsync(ct);
            var reply = await shardRegion.Ask<object>(message, budget, ct);
            return reply switch
            {
                T value => (value, null, null),
                Status.Failure failure => (null, $"the user's actor could not answer: {ReasonText.Bounded(failure.Cause.Message)}",
                    Error(StatusCodes.Status503ServiceUnavailable, $"the user's actor could not answer: {ReasonText.Bounded(failure.Cause.Message)}")),
                _ => (null, null, Error(StatusCodes.Status500InternalServerError, $"unexpected answer {reply.GetType().Name}")),
            };
        }
        catch (AskTimeoutException)
        {
            return (null, $"the user's actor did not answer within {budget.TotalMilliseconds:0} ms (its shard is moving, or the node is starting or overloaded)",
                Error(StatusCodes.Status503ServiceUnavailable, $"the user's actor did not answer within {budget.TotalSeconds:0.#} s (node starting, rebalancing or overloaded); retry"));
        }
    }
}
