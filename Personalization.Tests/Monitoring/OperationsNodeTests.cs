using System.Net;
using System.Text;
using System.Text.Json;
using Personalization.Actors.Routing;
using Personalization.Node.Hosting;
using Personalization.Node.Http.Admin;
using Personalization.Tests.Engine;
using Personalization.Tests.Infrastructure;
using Xunit;

namespace Personalization.Tests.Monitoring;

/// <summary>
/// A whole node: every data-quality signal a producer can cause is counted on the partition it arrived on, in
/// /metrics and in GET /admin/ingest (the DTO `ingest status` renders), with the lag of every partition; HTTP latency
/// is labelled by route template, never by the raw path.
/// </summary>
public sealed class OperationsNodeTests(EngineTestContext context) : IClassFixture<EngineTestContext>
{
    private const int Partitions = 4;

    private async Task<TestNode> StartAsync(string topic)
    {
        var options = TestNode.CreateOptions(context.Broker.BootstrapServers, topic, Partitions, "sqlite", EngineTestContext.SqliteConnectionString());
        options.DataQuality.SampleIntervalSeconds = 1;
        return await TestNode.StartAsync(options);
    }

    private static async Task<IngestStatusDto> IngestAsync(TestNode node)
    {
        var json = await node.Http.GetStringAsync("/admin/ingest");
        return JsonSerializer.Deserialize(json, AdminJsonContext.Default.IngestStatusDto)!;
    }

    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    private static string Event(string user, string item, long ts) => $$"""{"user":"{{user}}","item":"{{item}}","type":"play","ts":{{ts}}}""";

    [Fact]
    public async Task Every_data_quality_signal_is_counted_on_its_partition_in_the_metrics_and_the_ingest_status()
    {
        var topic = context.CreateTopic(Partitions);
        await using var node = await StartAsync(topic);
        var item = SampleWorkload.Take(1).ItemsByUser.Values.Single().First();
        int PartitionOf(string user) => KafkaPartitioner.PartitionFor(user, Partitions);

        await Eventually.AssertAsync(async () =>
        {
            var status = await IngestAsync(node);
            Assert.True(status.Consuming, status.Detail);
            Assert.Equal(Partitions, status.Partitions.Count);
            Assert.All(status.Partitions, p => Assert.True(p.Quality is not null && p.HighWatermark >= 0, $"partition {p.Partition} not sampled yet"));
        }, TimeSpan.FromSeconds(60));
        var before = (await IngestAsync(node)).Partitions.ToDictionary(p => p.Partition, p => p.Quality!);

        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var misroutedTo = (PartitionOf("dq-misrouted") + 1) % Partitions;
        await KafkaTestKit.ProduceRawAsync(context.Broker.BootstrapServers, topic,
        [
            (Utf8("dq-json"), Utf8("{not json"), null),
            (Utf8("dq-key"), Utf8(Event("someone-else", item, now)), null),
            (Utf8("dq-missing"), Utf8("""{"user":"dq-missing","item":"x"}"""), null),
            (Utf8("dq-unknown"), Utf8(Event("dq-unknown", "no-such-item-in-the-model", now)), null),
            (Utf8("dq-order"), Utf8(Event("dq-order", item, now)), null),
            (Utf8("dq-order"), Utf8(Event("dq-order", item, now - 60_000)), null),
            (Utf8("dq-future"), Utf8(Event("dq-future", item, now + 3_600_000)), null),
            (Utf8("dq-past"), Utf8(Event("dq-past", item, now - 30L * 24 * 3_600_000)), null),
            (Utf8("dq-misrouted"), Utf8(Event("dq-misrouted", item, now)), misroutedTo),
        ]);

        IngestStatusDto after = null!;
        DataQualityDto Delta(int partition)
        {
            var a = after.Partitions.Single(p => p.Partition == partition).Quality!;
            var b = before[partition];
            return a with
            {
                DeadLettered = a.DeadLettered - b.DeadLettered, SchemaViolations = a.SchemaViolations - b.SchemaViolations,
                UnknownItems = a.UnknownItems - b.UnknownItems, OutOfTimeOrder = a.OutOfTimeOrder - b.OutOfTimeOrder,
                FutureTimestamps = a.FutureTimestamps - b.FutureTimestamps, PastTimestamps = a.PastTimestamps - b.PastTimestamps,
                Misrouted = a.Misrouted - b.Misrouted,
            };
        }

        await Eventually.AssertAsync(async () =>
        {
            after = await IngestAsync(node);
            Assert.Equal(1, Delta(PartitionOf("dq-json")).DeadLettered >= 1 ? 1 : 0);
            Assert.True(Delta(PartitionOf("dq-unknown")).UnknownItems >= 1, "unknown item");
            Assert.True(Delta(PartitionOf("dq-order")).OutOfTimeOrder >= 1, "out of time order");
            Assert.True(Delta(PartitionOf("dq-future")).FutureTimestamps >= 1, "future");
            Assert.True(Delta(PartitionOf("dq-past")).PastTimestamps >= 1, "past");
            Assert.True(Delta(misroutedTo).Misrouted >= 1, "misrouted");
            Assert.Equal(3, after.Partitions.Sum(p => Delta(p.Partition).SchemaViolations));
            // Everything consumed and committed, as the monitor saw it after the records were produced.
            Assert.Equal(9, after.Partitions.Sum(p => p.HighWatermark));
            Assert.All(after.Partitions, p => Assert.Equal((0L, p.HighWatermark), (p.Lag, Math.Max(0, p.Committed))));
        }, TimeSpan.FromSeconds(60));

        // The reasons, by class, on the partitions they arrived on.
        var reasons = after.Partitions.SelectMany(p => p.Quality!.DeadLetteredByReason.Select(r => (p.Partition, r.Reason))).ToHashSet();
        Assert.Contains((PartitionOf("dq-json"), "malformed_json"), reasons);
        Assert.Contains((PartitionOf("dq-key"), "key_mismatch"), reasons);
        Assert.Contains((PartitionOf("dq-missing"), "missing_field"), reasons);
        Assert.Equal(after.Quality!.DeadLettered, after.Quality.DeadLetteredByReason.Sum(r => r.Count));
        Assert.True(after.Lag >= 0);

        var metrics = await node.Http.GetStringAsync("/metrics");
        Assert.Contains($"personalization_dlq_records_total{{partition=\"{PartitionOf("dq-json")}\",reason=\"malformed_json\"}}", metrics);
        Assert.Contains($"personalization_data_quality_total{{partition=\"{misroutedTo}\",signal=\"misrouted\"}}", metrics);
        Assert.Contains($"personalization_kafka_consumer_lag{{topic=\"{topic}\",group=\"{node.Options.Kafka.GroupId}\",partition=\"0\"}} 0", metrics);
    }

    [Fact]
    public async Task Http_latency_is_labelled_by_the_route_template_never_the_raw_path()
    {
        await using var node = await StartAsync(context.CreateTopic(Partitions));
        Assert.Equal(HttpStatusCode.OK, (await node.Http.GetAsync("/users/route-probe-42/recommendations?k=3")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await node.Http.GetAsync("/no/such/path/route-probe-43")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await node.Http.GetAsync("/admin/ingest")).StatusCode);

        var metrics = await node.Http.GetStringAsync("/metrics");
        Assert.Contains("personalization_http_request_duration_seconds_count{route=\"/users/{userId}/recommendations\",method=\"GET\",code=\"200\"}", metrics);
        Assert.Contains("personalization_http_request_duration_seconds_count{route=\"unmatched\",method=\"GET\",code=\"404\"}", metrics);
        Assert.Contains("personalization_http_request_duration_seconds_count{route=\"/admin/ingest\",method=\"GET\",code=\"200\"}", metrics);
        Assert.DoesNotContain("route-probe", metrics);
    }
}

public sealed class DataQualityOptionsTests
{
    [Theory]
    [InlineData("FutureToleranceSeconds", 0, "DataQuality:FutureToleranceSeconds")]
    [InlineData("PastToleranceSeconds", -1, "DataQuality:PastToleranceSeconds")]
    [InlineData("SampleIntervalSeconds", 0.01, "DataQuality:SampleIntervalSeconds")]
    [InlineData("RateDropRatio", 1.5, "DataQuality:RateDropRatio")]
    [InlineData("RateRecoverRatio", 0.1, "DataQuality:RateRecoverRatio")]
    [InlineData("RateDropMinPerSecond", double.NaN, "DataQuality:RateDropMinPerSecond")]
    [InlineData("RateBaselineWeight", 0, "DataQuality:RateBaselineWeight")]
    public void The_node_refuses_data_quality_settings_out_of_range_naming_them(string setting, double value, string named)
    {
        var options = new NodeOptions();
        typeof(NodeOptions.DataQualityOptions).GetProperty(setting)!.SetValue(options.DataQuality, value);
        Assert.Contains(named, NodeConfiguration.Validate(options));
    }

    [Fact]
    public void The_defaults_pass_and_integers_are_checked_too()
    {
        Assert.Null(NodeConfiguration.Validate(new NodeOptions()));
        var options = new NodeOptions();
        options.DataQuality.RateDropWarmupSamples = 0;
        Assert.Contains("DataQuality:RateDropWarmupSamples", NodeConfiguration.Validate(options));
    }
}
