using Confluent.Kafka;
using Personalization.Actors.Events;
using Personalization.Actors.Filters;
using Personalization.Actors.Kafka.Producers;
using Personalization.Node.Hosting;

namespace Personalization.Node.Http.Admin;

/// <summary>
/// <c>item withdraw | restore | withdrawn</c>: withdraws an item from every answer of every node, or makes it available
/// again, by producing to the availability topic that every node follows (docs/DESIGN.md, "Business filters"); and
/// lists what this node has withdrawn. A change answers once this node's snapshot reflects it (at most
/// <see cref="ApplyWait"/>; the other nodes apply it as fast). Withdrawals and restores are audited.
/// </summary>
internal static class AdminItemEndpoints
{
    public const int DefaultLimit = 1_000;
    public const int MaxLimit = 100_000;
    private static readonly TimeSpan ApplyWait = TimeSpan.FromSeconds(5);

    // A produce to a topic the brokers neither have nor create waits out librdkafka's message timeout (60 s): answer sooner.
    private static readonly TimeSpan ProduceWait = TimeSpan.FromSeconds(15);

    public static void MapAdminItemEndpoints(this IEndpointRouteBuilder admin, AdminAudit audit)
    {
        admin.MapPost("/items/{itemId}/withdraw", async (string itemId, ItemWithdrawRequest? request, ItemAvailabilityProducer producer,
            ItemAvailabilityService availability, HttpContext http, CancellationToken ct) =>
        {
            if (Refusal(itemId, request?.Reason) is { } refused)
            {
                audit.Record(http, "item withdraw", itemId, $"refused: {refused}");
                return AdminEndpoints.Error(StatusCodes.Status400BadRequest, refused);
            }

            var reason = string.IsNullOrEmpty(request?.Reason) ? null : request.Reason;
            return await ChangeAsync(http, audit, availability, producer.Topic, "item withdraw", itemId, available: false, reason,
                () => producer.WithdrawAsync(itemId, reason, Operator(http), ct), ct);
        });

        admin.MapPost("/items/{itemId}/restore", async (string itemId, ItemAvailabilityProducer producer, ItemAvailabilityService availability,
            HttpContext http, CancellationToken ct) =>
        {
            if (Refusal(itemId, null) is { } refused)
            {
                audit.Record(http, "item restore", itemId, $"refused: {refused}");
                return AdminEndpoints.Error(StatusCodes.Status400BadRequest, refused);
            }

            return await ChangeAsync(http, audit, availability, producer.Topic, "item restore", itemId, available: true, null,
                () => producer.RestoreAsync(itemId, ct), ct);
        });

        admin.MapGet("/items/withdrawn", (int? limit, ItemAvailability current, ItemAvailabilityService availability, NodeOptions options) =>
        {
            var count = limit ?? DefaultLimit;
            if (count is < 1 or > MaxLimit)
                return AdminEndpoints.Error(StatusCodes.Status400BadRequest, $"limit must be from 1 to {MaxLimit} (is {count})");
            var snapshot = current.Current;
            var (ready, detail) = availability.Check();
            var items = snapshot.Items().Take(count).Select(i => new WithdrawnItemDto(i.ItemId, i.Reason, i.By, i.Since, i.Partition, i.Offset)).ToArray();
            return Results.Json(new WithdrawnItemsDto(options.Kafka.AvailabilityTopic, ready, detail, snapshot.Count, items), ItemJsonContext.Default.WithdrawnItemsDto);
        });
    }

    private static async Task<IResult> ChangeAsync(HttpContext http, AdminAudit audit, ItemAvailabilityService availability, string topic,
        string action, string itemId, bool available, string? reason, Func<Task<(int Partition, long Offset)>> produce, CancellationToken ct)
    {
        (int Partition, long Offset) produced;
        try
        {
            produced = await produce().WaitAsync(ProduceWait, ct);
        }
        catch (Exception e) when (e is KafkaException or TimeoutException)
        {
            var why = e is KafkaException k ? k.Error.Reason : $"not acknowledged within {ProduceWait.TotalSeconds:0} s (does {topic} exist?)";
            audit.Record(http, action, itemId, $"failed: {why}");
            return AdminEndpoints.Error(StatusCodes.Status503ServiceUnavailable, $"could not write to {topic}: {ReasonText.Bounded(why)}; nothing changed, retry");
        }

        var applied = availability.Reader is { } reader && await reader.WaitUntilReflectedAsync(produced.Partition, produced.Offset, ApplyWait, ct);
        var state = available ? "available again" : "withdrawn";
        var detail = applied
            ? $"item {itemId} is {state} on this node; every node follows {topic}"
            : $"produced to {topic}, but this node has not applied it within {ApplyWait.TotalSeconds:0} s (see /healthz/ready, check availability)";
        audit.Record(http, action, itemId, $"produced to {topic} {produced.Partition}/{produced.Offset}{(applied ? ", applied here" : ", not applied here yet")}");
        return Results.Json(new ItemAvailabilityChangeDto(itemId, available, reason, topic, produced.Partition, produced.Offset, applied, detail),
            ItemJsonContext.Default.ItemAvailabilityChangeDto);
    }

    private static string? Refusal(string itemId, string? reason)
    {
        if (EventIds.Problem(itemId, "the item id") is { } problem) return $"{problem}: an item id follows the rules of an event's \"item\"";
        return string.IsNullOrEmpty(reason) ? null : AvailabilityRecordJson.TextProblem(reason, "reason");
    }

    /// <summary>Who the console says runs it (written into the record as "by"); not named, or not printable: null.</summary>
    private static string? Operator(HttpContext http)
    {
        var claimed = http.Request.Headers[AdminAudit.OperatorHeader].ToString();
        return claimed.Length > 0 && AvailabilityRecordJson.TextProblem(claimed, "by") is null ? claimed : null;
    }
}
