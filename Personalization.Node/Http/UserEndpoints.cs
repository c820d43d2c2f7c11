using Akka.Actor;
using Akka.Hosting;
using Personalization.Actors.Events;
using Personalization.Actors.Filters;
using Personalization.Actors.Model;
using Personalization.Actors.Serving;
using Personalization.Actors.Sessions;
using Personalization.Actors.Sharding;
using Personalization.Node.Experiments;
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
            ExperimentAnswers experiments, NodeOptions options, BusinessFilters filters, HttpContext http, CancellationToken ct) =>
        {
            var started = TimeProvider.System.GetTimestamp();
            if (ValidateUser(userId) is { } bad) return bad;
            var requested = 10;
            if (k is not null && (!int.TryParse(k, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out requested) || requested < 1 || requested > MaxK))
                return Error(StatusCodes.Status400BadRequest, $"k must be an integer from 1 to {MaxK}, got \"{ReasonText.Quote(k)}\"");
            // exclude=/include= and the items withdrawn cluster-wide, applied to whichever list answers (Http/Filters).
            if (filters.ForRequest(http.Request, out var filter) is { } refused) return Error(StatusCodes.Status400BadRequest, refused);
            var assignment = experiments.Assign(userId);
            var count = assignment.KFor(requested);
            using var span = QueryTracing.Start(http, userId, count);
            if (assignment.Interleaves && experiments.InterleavingPartner is { } partner)
            {
                // Both rankers' lists at once; a partner that cannot answer leaves the answer un-interleaved and uncounted.
                var first = AnswerAsync(userId, count, filter, region, lane, lastAnswers, models, options, span, ct);
                var second = CompanionAnswerAsync(userId, count, filter, partner, region, lane, options, ct);
                var (served, b) = (await first, await second);
                if (served.Dto is not { } a) return served.Error!;
                if (b is null || a.Degraded is not null) return Results.Json(experiments.Served(ExperimentAssignment.None, a, started), ApiJsonContext.Default.RecommendationsDto);
                var (interleaved, teams) = ExperimentAnswers.Interleave(assignment, a, b, count);
                return Results.Json(experiments.Served(assignment, interleaved, started, teams), ApiJsonContext.Default.RecommendationsDto);
            }

            var answer = await AnswerAsync(userId, count, filter, region, lane, lastAnswers, models, options, span, ct);
            if (answer.Dto is not { } dto) return answer.Error!;
            // A shadow experiment is silent: the user's answer is the live one, the candidate ranks after it.
            var visible = assignment.Interleaves || assignment.Experiment is { Kind: Actors.Experiments.ExperimentKind.Shadow } ? ExperimentAssignment.None : assignment;
            var shown = experiments.Served(visible, dto, started);
            if (assignment.Shadowed && dto.Degraded is null && experiments.ShadowCandidate is { } candidate)
                experiments.Shadow(assignment, shown, started, () => CompanionAnswerAsync(userId, count, filter, candidate, region, lane, options, CancellationToken.None));
            return Results.Json(shown, ApiJsonContext.Default.RecommendationsDto);
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

    /// <summary>
    /// The user's ranked list: a user who lives on this node from its serving view, off its actor; others by their
    /// actor; when the actor cannot answer in the query budget, a degraded answer that says why (or the error).
    /// </summary>
    private static async Task<(RecommendationsDto? Dto, IResult? Error)> AnswerAsync(
        string userId, int count, ItemFilter filter, IRequiredActor<UserShardRegion> region, ServingLane lane, LastAnswers lastAnswers, IModelProvider models,
        NodeOptions options, System.Diagnostics.Activity? span, CancellationToken ct)
    {
        if (await FilteredRankings.FromLaneAsync(filter, count, size => lane.TryAnswerAsync(userId, size, ct)) is { } served) return (Live(served), null);

        var budget = TimeSpan.FromMilliseconds(options.Http.QueryTimeoutMs);
        var answer = await FilteredRankings.FromActorAsync(filter, count, budget,
            (size, left) => AskUser<Recommendations>(region, new GetRecommendations(userId, size), ct, left));
        if (answer.Value is { } live) return (Live(live), null);

        span?.SetTag("personalization.degraded", answer.Why);
        return DegradedAnswers.For(userId, count, answer.Why!, lastAnswers, models, filter) is { } degraded ? (degraded, null) : (null, answer.Error);

        RecommendationsDto Live(Recommendations r)
        {
            lastAnswers.Remember(r, Environment.TickCount64);
            QueryTracing.Answered(span, r, null);
            return Dto(r, count, null);
        }
    }

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

    /// <summary>The user's list from a companion model's state (interleaving's second ranker), or null when it has none to give.</summary>
    private static async Task<Recommendations?> CompanionAnswerAsync(
        string userId, int count, ItemFilter filter, ModelKey companion, IRequiredActor<UserShardRegion> region, ServingLane lane, NodeOptions options,
        CancellationToken ct)
    {
        if (await FilteredRankings.FromLaneAsync(filter, count, size => lane.TryAnswerAsync(userId, size, companion, ct)) is { } served) return served;
        var answer = await FilteredRankings.FromActorAsync(filter, count, TimeSpan.FromMilliseconds(options.Http.QueryTimeoutMs),
            (size, left) => AskUser<Recommendations>(region, new GetRecommendations(userId, size, companion), ct, left));
        return answer.Value;
    }

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
