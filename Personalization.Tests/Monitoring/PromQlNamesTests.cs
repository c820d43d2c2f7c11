using Xunit;

namespace Personalization.Tests.Monitoring;

public class PromQlNamesTests
{
    [Theory]
    [InlineData("personalization_kafka_consumer_lag > 1000 and deriv(personalization_kafka_consumer_lag[10m]) > 0", "personalization_kafka_consumer_lag")]
    [InlineData("histogram_quantile(0.99, sum by (namespace, le) (rate(a_bucket{route=\"/users/{userId}/recommendations\"}[5m]))) > 0.1", "a_bucket")]
    [InlineData("sum by (namespace, signal) (rate(x_total{signal!=\"rate_drop\"}[10m])) / on (namespace) group_left sum by (namespace) (rate(y_total[10m])) > 0.05", "x_total y_total")]
    [InlineData("sum without (instance) (rate(x_total[$__rate_interval])) offset 1h", "x_total")]
    [InlineData("max by (name, version) (personalization_model_info) * on(name) group_left(version) other:recorded", "other:recorded personalization_model_info")]
    [InlineData("label_values(personalization_kafka_consumer_lag, partition)", "personalization_kafka_consumer_lag")]
    [InlineData("topk(5, sum by (partition) (rate(a{partition=~\"$partition\"}[1m]))) / 1e3", "a")]
    [InlineData("count_values(\"version\", b) or vector(0)", "b")]
    [InlineData("sum(rate(c[5m] offset 10m)) # a comment naming not_a_metric", "c")]
    public void Finds_the_metric_names_and_nothing_else(string expr, string expected) =>
        Assert.Equal(expected.Split(' ').Order(StringComparer.Ordinal), PromQlNames.MetricNames(expr).Order(StringComparer.Ordinal));
}
