using Personalization.Node.Http.Dashboard;
using Xunit;

namespace Personalization.Tests.Dashboard;

/// <summary>The dashboard's data from registry text: what it takes from which series, with and without the newer ones.</summary>
public sealed class DashboardDataTests
{
    private static readonly DashboardClusterDto Cluster = new(3, 3, 0, "akka.tcp://personalization@n0:4053");

    private const string Today = """
        # HELP personalization_events_applied_total Events applied.
        # TYPE personalization_events_applied_total counter
        personalization_events_applied_total 1200
        personalization_kafka_records_consumed_total{topic="listening-events",group="g"} 1210
        personalization_ingest_dead_lettered_total{topic="listening-events"} 10
        personalization_event_freshness_seconds_bucket{le="0.01"} 100
        personalization_event_freshness_seconds_bucket{le="0.1"} 1100
        personalization_event_freshness_seconds_bucket{le="+Inf"} 1200
        personalization_event_freshness_seconds_sum 30.5
        personalization_event_freshness_seconds_count 1200
        http_request_duration_seconds_bucket{code="200",method="GET",controller="",action="",endpoint="/users/{userId}/recommendations",le="0.001"} 40
        http_request_duration_seconds_bucket{code="200",method="GET",controller="",action="",endpoint="/users/{userId}/recommendations",le="+Inf"} 50
        http_request_duration_seconds_count{code="200",method="GET",controller="",action="",endpoint="/users/{userId}/recommendations"} 50
        http_request_duration_seconds_bucket{code="200",method="GET",controller="",action="",endpoint="/metrics",le="+Inf"} 9
        """;

    private const string WithLagAndQuality = Today + """

        personalization_kafka_consumer_lag{topic="listening-events",group="g",partition="0"} 5
        personalization_kafka_consumer_lag{topic="listening-events",group="g",partition="1"} 0
        personalization_kafka_high_watermark{topic="listening-events",group="g",partition="0"} 605
        personalization_data_quality_total{partition="0",signal="unknown_item"} 3
        personalization_data_quality_total{partition="1",signal="unknown_item"} 4
        personalization_data_quality_total{partition="0",signal="misrouted"} 0
        personalization_dlq_records_total{partition="0",reason="malformed_json"} 6
        personalization_dlq_records_total{partition="1",reason="unknown_type"} 5
        personalization_dlq_records_total{partition="1",reason="empty"} 0
        personalization_http_request_duration_seconds_bucket{route="/users/{userId}/recommendations",method="GET",code="200",le="0.0001"} 7
        personalization_http_request_duration_seconds_bucket{route="/users/{userId}/recommendations",method="GET",code="200",le="+Inf"} 8
        personalization_http_request_duration_seconds_bucket{route="/users/{userId}/recommendations",method="GET",code="503",le="0.0001"} 0
        personalization_http_request_duration_seconds_bucket{route="/users/{userId}/recommendations",method="GET",code="503",le="+Inf"} 2
        personalization_http_request_duration_seconds_count{route="/users/{userId}/recommendations",method="GET",code="200"} 8
        personalization_http_request_duration_seconds_count{route="/users/{userId}/recommendations",method="GET",code="503"} 2
        """;

    private static DashboardDto Build(string text) =>
        DashboardData.Build(PrometheusText.Parse(text), 1_000, "akka.tcp://personalization@n0:4053", "gru", "v1", Cluster, [(0, 600, 600), (1, 50, 48)]);

    [Fact]
    public void A_node_without_lag_or_data_quality_series_gets_its_counters_and_histograms_and_says_what_is_missing()
    {
        var d = Build(Today);

        Assert.Equal((1200.0, 1210.0, 10.0), (d.Counters["eventsApplied"], d.Counters["recordsConsumed"], d.Counters["deadLettered"]));
        Assert.Equal([0, 1], d.Partitions.Select(p => p.Partition));
        Assert.Equal((600L, 48L), (d.Partitions[0].Committed, d.Partitions[1].Committed));
        Assert.All(d.Partitions, p => Assert.Null(p.Lag));
        Assert.Equal([0.01, 0.1, double.MaxValue], d.Freshness!.Buckets.Select(b => b.Le));
        Assert.Equal(1200, d.Freshness.Count);
        Assert.Equal("http_request_duration_seconds", d.QueryLatency!.Metric); // the recommendations route only, not /metrics
        Assert.Equal(50, d.QueryLatency.Buckets[^1].Count);
        Assert.Null(d.DataQuality);
        Assert.Null(d.DeadLetteredByReason);
        Assert.Equal(["lag", "dataQuality", "deadLetteredByReason"], d.Missing);
    }

    [Fact]
    public void A_node_with_lag_data_quality_and_route_latency_series_gets_them_summed_over_their_other_labels()
    {
        var d = Build(WithLagAndQuality);

        Assert.Equal((5.0, 0.0), (d.Partitions[0].Lag, d.Partitions[1].Lag));
        Assert.Equal(605, d.Partitions[0].HighWatermark);
        Assert.Null(d.Partitions[1].HighWatermark);
        Assert.Equal([("misrouted", 0.0), ("unknown_item", 7.0)], d.DataQuality!.Select(q => (q.Label, q.Count)));
        Assert.Equal([("malformed_json", 6.0), ("unknown_type", 5.0)], d.DeadLetteredByReason!.Select(q => (q.Label, q.Count)));
        Assert.Equal(11, d.Counters["deadLettered"]); // by reason, when the node has it
        Assert.Equal("personalization_http_request_duration_seconds", d.QueryLatency!.Metric);
        Assert.Equal([7.0, 10.0], d.QueryLatency.Buckets.Select(b => b.Count)); // 200s and 503s together
        Assert.Equal(10, d.QueryLatency.Count);
        Assert.Empty(d.Missing);
    }

    [Fact]
    public void The_exposition_parser_reads_escaped_label_values_and_special_numbers_and_skips_what_it_cannot_read()
    {
        var samples = PrometheusText.Parse("""
            a{x="q\"uote",y="back\\slash",z="new\nline"} 1.5e3
            b +Inf
            c{le="+Inf"} NaN
            broken{x="unterminated} 1
            d 7 1700000000000
            """);

        Assert.Equal(["a", "b", "c", "d"], samples.Select(s => s.Name));
        Assert.Equal(("q\"uote", "back\\slash", "new\nline"), (samples[0].Label("x"), samples[0].Label("y"), samples[0].Label("z")));
        Assert.Equal(1500, samples[0].Value);
        Assert.True(double.IsPositiveInfinity(samples[1].Value));
        Assert.True(double.IsNaN(samples[2].Value));
        Assert.Equal(7, samples[3].Value);
    }
}
