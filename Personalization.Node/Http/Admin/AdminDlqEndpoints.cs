using System.Text;
using Confluent.Kafka;
using Personalization.Actors.Kafka.DeadLetters;
using Personalization.Node.Hosting;

namespace Personalization.Node.Http.Admin;

/// <summary>
/// <c>dlq show | replay</c>: the dead-letter topic's last records with their reasons (and whether a replay produced
/// them already), and replays of chosen records — the original value, or a corrected one — into the events topic,
/// each DLQ offset at most once (<see cref="DeadLetterStore"/> says how). Replays are audited.
/// </summary>
internal static class AdminDlqEndpoints
{
    public const int DefaultLimit = 20;
    public const int MaxLimit = 10_000;
    public const int MaxReplay = 10_000;

    public static void MapAdminDlqEndpoints(this IEndpointRouteBuilder admin, AdminAudit audit)
    {
        var options = admin.ServiceProvider.GetRequiredService<NodeOptions>();
        var store = new DeadLetterStore(options.Kafka.BootstrapServers, options.Kafka.Topic, options.Kafka.Config);

        admin.MapGet("/dlq", async (int? limit, CancellationToken ct) =>
        {
            var perPartition = limit ?? DefaultLimit;
            if (perPartition is < 1 or > MaxLimit)
                return AdminEndpoints.Error(StatusCodes.Status400BadRequest, $"limit must be from 1 to {MaxLimit} (is {perPartition})");
            try
            {
                var page = await Task.Run(() =>
                {
                    var partitions = store.Partitions();
                    var records = store.ReadLast(perPartition, ct);
                    var ledger = store.Ledger(ct);
                    return new DlqPageDto(
                        store.DeadLetterTopic,
                        partitions.Select(p => new DlqPartitionDto(p.Partition, p.Low, p.High)).ToArray(),
                        records.Select(r => Dto(r, ledger.GetValueOrDefault((r.Partition, r.Offset)))).ToArray());
                }, ct);
                return Results.Json(page, ConsoleJsonContext.Default.DlqPageDto);
            }
            catch (KafkaException e)
            {
                return AdminEndpoints.Error(StatusCodes.Status503ServiceUnavailable, $"cannot read {store.DeadLetterTopic}: {e.Error.Reason}");
            }
        });

        admin.MapPost("/dlq/replay", async (DlqReplayRequest? request, HttpContext http, CancellationToken ct) =>
        {
            if (request?.Records is not { Count: > 0 } items)
                return AdminEndpoints.Error(StatusCodes.Status400BadRequest, "the body must be {\"records\": [{\"partition\": p, \"offset\": o, \"value\": \"<corrected event JSON, or null for the original>\"}]}");
            if (items.Count > MaxReplay)
                return AdminEndpoints.Error(StatusCodes.Status400BadRequest, $"at most {MaxReplay} records per replay (got {items.Count})");
            var by = http.Request.Headers[AdminAudit.OperatorHeader].ToString() is { Length: > 0 } named ? named[..Math.Min(named.Length, 200)] : "(not named)";
            var target = string.Join(" ", items.Take(20).Select(i => $"{i.Partition}:{i.Offset}{(i.Value is null ? "" : "*")}")) + (items.Count > 20 ? $" … ({items.Count})" : "");
            try
            {
                var results = await store.ReplayAsync(items.Select(i => new ReplayRequest(i.Partition, i.Offset, i.Value)).ToArray(), by, ct);
                audit.Record(http, "dlq replay", target,
                    $"{results.Count(r => r.Outcome == ReplayOutcome.Replayed)} replayed, {results.Count(r => r.Outcome == ReplayOutcome.AlreadyReplayed)} already replayed, {results.Count(r => r.Outcome == ReplayOutcome.Refused)} refused");
                return Results.Json(
                    new DlqReplayResultDto(store.Topic, results.Select(r => new DlqReplayOutcomeDto(
                        r.Partition, r.Offset, OutcomeName(r.Outcome), r.Detail, r.Mark?.Partition, r.Mark?.Offset)).ToArray()),
                    ConsoleJsonContext.Default.DlqReplayResultDto);
            }
            catch (KafkaException e)
            {
                audit.Record(http, "dlq replay", target, $"failed, nothing produced: {e.Error.Reason}");
                return AdminEndpoints.Error(StatusCodes.Status503ServiceUnavailable,
                    $"the replay failed and produced nothing ({e.Error.Reason}); it is safe to run it again (needs {store.LedgerTopic} and transactions on the brokers)");
            }
        });
    }

    private static string OutcomeName(ReplayOutcome outcome) => outcome switch
    {
        ReplayOutcome.Replayed => "replayed",
        ReplayOutcome.AlreadyReplayed => "already-replayed",
        _ => "refused",
    };

    private static DlqRecordDto Dto(DeadLetterRecord r, ReplayMark? mark)
    {
        string? value = null;
        string? base64 = null;
        if (r.Value is { } bytes)
        {
            try
            {
                value = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
            }
            catch (DecoderFallbackException)
            {
                value = Encoding.UTF8.GetString(bytes);
                base64 = Convert.ToBase64String(bytes);
            }
        }

        return new DlqRecordDto(
            r.Partition, r.Offset, r.Timestamp, r.Key is null ? null : Encoding.UTF8.GetString(r.Key), value, base64, r.Reason,
            r.SourceTopic, r.SourcePartition, r.SourceOffset, r.DeadLetteredAt,
            mark is null ? null : new DlqReplayMarkDto(mark.Partition, mark.Offset, mark.At, mark.Corrected, mark.By));
    }
}
