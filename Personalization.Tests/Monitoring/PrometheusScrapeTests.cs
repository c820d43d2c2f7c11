using System.Net;
using System.Net.Http.Json;
using System.Text;
using Personalization.Actors.Kafka.Broker;
using Personalization.Actors.Kafka.Producers;
using Personalization.Node.Local;
using Personalization.Tests.Engine;
using Personalization.Tests.Infrastructure;
using Xunit;

namespace Personalization.Tests.Monitoring;

/// <summary>
/// Debian's real Prometheus scrapes a running node (a `personalization run` process, so its /metrics holds only what
/// the node itself exports) every second, with the alerting rules loaded: every metric name the rules and the
/// Grafana dashboard read — parsed out of their expressions (<see cref="PromQlNames"/>), no hand-kept list — is
/// exported; Prometheus evaluates every rule without error; and every dashboard query is valid PromQL to it.
/// </summary>
public sealed class PrometheusScrapeTests : IDisposable
{
    private const int Partitions = 4;
    private readonly EmbeddedKafkaBroker _broker = EmbeddedKafkaBroker.Start(brokers: 1);

    [Fact]
    public async Task Prometheus_scrapes_every_metric_the_alerts_and_the_dashboard_use_and_evaluates_them()
    {
        var ruleNames = MonitoringFiles.Alerts().SelectMany(a => PromQlNames.MetricNames(a.Expr)).ToHashSet();
        var dashboardQueries = MonitoringFiles.DashboardQueries();
        var dashboardNames = dashboardQueries.SelectMany(PromQlNames.MetricNames).ToHashSet();
        Assert.True(ruleNames.Count >= 8, $"only {ruleNames.Count} metric names found in the rules");
        Assert.True(dashboardNames.Count >= 20, $"only {dashboardNames.Count} metric names found in the dashboard");

        var topic = KafkaTestKit.NewTopic(_broker, Partitions);
        var options = TestNode.CreateOptions(_broker.BootstrapServers, topic, Partitions, "sqlite", EngineTestContext.SqliteConnectionString());
        options.DataQuality.SampleIntervalSeconds = 1;
        await using var node = await NodeProcess.StartAsync(options, "scraped");

        // Some traffic: events (one a poison record for the DLQ), a query.
        using (var producer = new KafkaEventProducer(_broker.BootstrapServers, topic))
            await producer.ProduceManyAsync(SampleWorkload.Take(20).Events);
        await KafkaTestKit.ProduceRawAsync(_broker.BootstrapServers, topic, [(Encoding.UTF8.GetBytes("u1"), Encoding.UTF8.GetBytes("{not json"), null)]);
        var answer = await node.Http.GetAsync("/users/u1/recommendations?k=5");
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);

        await using var prometheus = await PrometheusServer.StartAsync([$"127.0.0.1:{node.HttpPort}"], [MonitoringFiles.Rules]);
        var wanted = ruleNames.Union(dashboardNames).Order(StringComparer.Ordinal).ToList();
        var missing = wanted;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            var names = (await prometheus.ApiAsync("label/__name__/values?match[]=" + Uri.EscapeDataString("{job=\"personalization\"}")))
                .EnumerateArray().Select(e => e.GetString()!).ToHashSet();
            missing = wanted.Where(n => !names.Contains(n)).ToList();
            if (missing.Count == 0) break;
            await Task.Delay(500);
        }

        var target = (await prometheus.ApiAsync("targets")).GetProperty("activeTargets").EnumerateArray().Single();
        Assert.True(missing.Count == 0,
            $"metrics the rules or the dashboard read but the node does not export: {string.Join(", ", missing)}\n" +
            $"target: {target}\nnode log:\n{node.Log}");

        // Every rule evaluated at least once, without error.
        await Eventually.AssertAsync(async () =>
        {
            var rules = (await prometheus.ApiAsync("rules")).GetProperty("groups").EnumerateArray()
                .SelectMany(g => g.GetProperty("rules").EnumerateArray()).ToList();
            Assert.Equal(MonitoringFiles.Alerts().Count, rules.Count);
            foreach (var rule in rules)
            {
                Assert.True(rule.GetProperty("health").GetString() == "ok",
                    $"{rule.GetProperty("name").GetString()}: {rule.GetProperty("health").GetString()} {(rule.TryGetProperty("lastError", out var e) ? e.GetString() : "")}");
                Assert.NotEqual("0001-01-01T00:00:00Z", rule.GetProperty("lastEvaluation").GetString());
            }
        }, TimeSpan.FromSeconds(30));

        // The dashboard's queries, as Grafana would send them ($__rate_interval: Grafana's, at least 4 scrape intervals).
        foreach (var query in dashboardQueries)
            await prometheus.ApiAsync("query?query=" + Uri.EscapeDataString(query.Replace("$__rate_interval", "1m", StringComparison.Ordinal)));

        // And the data flows: the lag of every partition is there, from the node's monitor.
        var lag = (await prometheus.ApiAsync("query?query=" + Uri.EscapeDataString($"personalization_kafka_consumer_lag{{topic=\"{topic}\"}}")))
            .GetProperty("result").GetArrayLength();
        Assert.Equal(Partitions, lag);
    }

    public void Dispose() => _broker.Dispose();
}
