using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Personalization.Actors.Kafka.Broker;
using Personalization.Actors.Telemetry;
using Personalization.Tests.Infrastructure;
using Xunit;

namespace Personalization.Tests.Faults;

/// <summary>
/// Fault 7 of issue 11: the disk under the SQLite checkpoint database fills up during ingest. Nothing is acknowledged
/// that is not durable, the live users keep answering, the database is not corrupted, and once space returns (the
/// filler deleted) everything is checkpointed, committed and equal to the offline replay.
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class DiskFullFaultTests(FaultContext context)
{
    private const int Partitions = 4;

    [TmpfsFact]
    public async Task A_full_disk_under_the_SQLite_checkpoints_corrupts_nothing_and_ingest_resumes_when_space_returns()
    {
        await using var disk = await SmallDisk.MountAsync(megabytes: 16);
        var database = Path.Combine(disk.Path, "checkpoints.db");
        using var broker = EmbeddedKafkaBroker.Start(brokers: 1);
        using var stream = FaultStream.Create(broker, Partitions);
        var options = TestNode.CreateOptions(broker.BootstrapServers, stream.Topic, Partitions, "sqlite", $"Data Source={database}");
        await using var node = await TestNode.StartAsync(options);
        var produce = stream.ProduceAsync();
        await FaultProbe.WaitUntilAppliedAsync(node.Http, stream, stream.Workload.Events.Count / 4);

        var retriesBefore = EngineMetrics.CheckpointWriteRetries.Value;
        var outage = Stopwatch.StartNew();
        var filler = disk.Fill();
        await using var queries = QueryProbe.Start(node.Http, stream.Workload.ItemsByUser.Keys.Take(10).ToList());
        await Task.Delay(TimeSpan.FromSeconds(FaultSettings.OutageSeconds)); // the fault's own duration
        // The full disk is visible while it lasts (the node itself runs in this process: same metrics registry).
        var retried = EngineMetrics.CheckpointWriteRetries.Value - retriesBefore;
        File.Delete(filler);
        await queries.StopAsync();

        var faultSeconds = outage.Elapsed.TotalSeconds;
        var sinceFaultEnd = Stopwatch.StartNew();
        await produce;
        await FaultVerdict.AssertRecoveredAsync($"SQLite disk full {FaultSettings.OutageSeconds:0} s (16 MB tmpfs)", "sqlite", stream, node.Http,
            options.Kafka.GroupId, context.Offline, sinceFaultEnd, faultSeconds,
            $"queries while full: {queries.Answered} answered, {queries.Failures.Count} failed; integrity_check: {IntegrityCheck(database)}; {retried} checkpoint batches retried while full");
        Assert.Equal("ok", IntegrityCheck(database));
        Assert.True(retried > 0, "no checkpoint write met the full disk: the fault did not happen");
        Assert.True(queries.Answered > 0, "no query was answered while the disk was full");
        Assert.True(queries.Failures.Count == 0, $"{queries.Failures.Count} queries failed while the disk was full, first: {queries.Failures.FirstOrDefault()}");
    }

    private static string IntegrityCheck(string database)
    {
        using var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA integrity_check";
        return (string)command.ExecuteScalar()!;
    }
}
