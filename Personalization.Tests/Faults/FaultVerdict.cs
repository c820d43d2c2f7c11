using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using Personalization.Actors.Kafka.Producers;
using Personalization.Node.Http;
using Personalization.Tests.Infrastructure;
using Xunit;

namespace Personalization.Tests.Faults;

/// <summary>
/// After a fault: waits until the engine has caught up (every user applied its events, every poison record
/// dead-lettered, the group committed to the end of every partition), measures loss and double application per user,
/// writes the <see cref="FaultReport"/> — also when recovery failed, so a bad run still leaves its numbers — and then
/// requires zero loss, zero duplicates, a complete DLQ, and every user equal to the offline replay.
/// <c>describe</c> adds what only the fault's test can measure once the engine caught up (e.g. events re-delivered).
/// </summary>
public static class FaultVerdict
{
    public static async Task<FaultReport> AssertRecoveredAsync(
        string fault, string store, FaultStream stream, HttpClient http, string groupId, OfflineModel offline,
        Stopwatch sinceFaultEnd, double faultSeconds, string notes = "", Func<Task<string>>? describe = null)
    {
        double? recoverSeconds = null;
        try
        {
            await Eventually.AssertAsync(async () => await AssertCaughtUpAsync(stream, http, groupId), FaultSettings.RecoverTimeout, TimeSpan.FromMilliseconds(500));
            // From the end of the fault, or of the stream if it ended later: a stream still being produced after the
            // fault is not something the engine recovers from.
            var now = Stopwatch.GetTimestamp();
            var from = Math.Max(now - sinceFaultEnd.ElapsedTicks, stream.ProducedUntil);
            recoverSeconds = Stopwatch.GetElapsedTime(from, now).TotalSeconds;
        }
        catch (Exception e)
        {
            notes = $"{notes} not recovered within {FaultSettings.RecoverTimeout.TotalSeconds} s: {e.Message}".Trim();
        }

        if (describe is not null) notes = $"{notes} {await describe()}".Trim();
        var (applied, lost, duplicated) = await CountAsync(stream.Workload, http);
        var deadLettered = DeadLetteredOffsets(stream).Count;
        var report = new FaultReport(fault, store, stream.Produced, applied, lost, duplicated, stream.Poison, deadLettered,
            Math.Round(faultSeconds, 1), recoverSeconds is { } s ? Math.Round(s, 1) : null, recoverSeconds is not null, notes);
        report.Append();

        Assert.True(recoverSeconds is not null, $"{fault}: {notes}");
        Assert.Equal(0, lost);
        Assert.Equal(0, duplicated);
        Assert.Equal(stream.Poison, deadLettered);
        await EngineAssertions.AssertMatchesOfflineReplayAsync(http, stream.Workload, offline);
        return report;
    }

    private static async Task AssertCaughtUpAsync(FaultStream stream, HttpClient http, string groupId)
    {
        foreach (var (user, items) in stream.Workload.ItemsByUser)
        {
            var session = await http.GetFromJsonAsync($"/users/{user}/session", ApiJsonContext.Default.SessionDto);
            Assert.True(session!.EventCount >= items.Count, $"user {user}: {session.EventCount} of {items.Count} events applied");
        }

        var dead = DeadLetteredOffsets(stream).Count;
        Assert.True(dead >= stream.Poison, $"{dead} of {stream.Poison} poison records dead-lettered");
        var end = KafkaTestKit.EndOffsets(stream.Broker.BootstrapServers, stream.Topic, stream.Partitions);
        var committed = KafkaTestKit.Committed(stream.Broker.BootstrapServers, groupId, stream.Topic, stream.Partitions);
        foreach (var (partition, high) in end)
            Assert.True(high == 0 || committed[partition] == high, $"partition {partition}: committed {committed[partition]} of {high}");
    }

    /// <summary>Per user: applied = its event count; lost = expected events it lacks; duplicated = events beyond its history.</summary>
    private static async Task<(long Applied, long Lost, long Duplicated)> CountAsync(SampleWorkload workload, HttpClient http)
    {
        long applied = 0, lost = 0, duplicated = 0;
        foreach (var (user, items) in workload.ItemsByUser)
        {
            var count = (await http.GetFromJsonAsync($"/users/{user}/session", ApiJsonContext.Default.SessionDto))!.EventCount;
            applied += count;
            lost += Math.Max(0, items.Count - count);
            duplicated += Math.Max(0, count - items.Count);
        }

        return (applied, lost, duplicated);
    }

    /// <summary>
    /// The distinct source records (partition, offset) found in the DLQ: a poison record re-read after a crash may be
    /// dead-lettered twice (the DLQ is at-least-once); what counts is that none is missing.
    /// </summary>
    public static HashSet<(string Partition, string Offset)> DeadLetteredOffsets(FaultStream stream)
    {
        var total = (int)KafkaTestKit.EndOffsets(stream.Broker.BootstrapServers, stream.DeadLetterTopic, stream.Partitions).Values.Sum();
        if (total == 0) return [];
        var records = KafkaTestKit.ReadAll(stream.Broker.BootstrapServers, stream.DeadLetterTopic, stream.Partitions, total);
        return records.Select(r => (Header(r.Message.Headers, DeadLetterProducer.PartitionHeader), Header(r.Message.Headers, DeadLetterProducer.OffsetHeader))).ToHashSet();
    }

    private static string Header(Confluent.Kafka.Headers headers, string name) =>
        headers.TryGetLastBytes(name, out var bytes) ? Encoding.UTF8.GetString(bytes) : "";
}
