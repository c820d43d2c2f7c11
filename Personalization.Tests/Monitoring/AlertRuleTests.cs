using Personalization.Tests.Deployment;
using Personalization.Tests.Infrastructure;
using Xunit;

namespace Personalization.Tests.Monitoring;

/// <summary>
/// The alerting rules (k8s/base/monitoring): promtool accepts them and their unit tests pass, the PrometheusRule that
/// kustomize deploys holds exactly the same groups (generated from the rule file), and every alert is tested and
/// documented. promtool is Debian's (package prometheus): without it these tests fail saying how to install it.
/// </summary>
public class AlertRuleTests
{
    [Fact]
    public async Task Promtool_accepts_the_rule_file()
    {
        var (code, output) = await MonitoringFiles.RunAsync(MonitoringFiles.Promtool, MonitoringFiles.Folder, "check", "rules", MonitoringFiles.Rules);
        Assert.True(code == 0, $"promtool check rules failed:\n{output}");
    }

    [Fact]
    public async Task Promtool_unit_tests_of_the_rules_pass()
    {
        var (code, output) = await MonitoringFiles.RunAsync(MonitoringFiles.Promtool, MonitoringFiles.Folder, "test", "rules", MonitoringFiles.RuleTests);
        Assert.True(code == 0, $"promtool test rules failed:\n{output}");
        Assert.Contains("SUCCESS", output, StringComparison.Ordinal);
    }

    [Fact]
    public void The_PrometheusRule_is_generated_from_the_rule_file()
    {
        var generated = MonitoringFiles.GeneratedPrometheusRule();
        if (Environment.GetEnvironmentVariable("PZ_WRITE_GENERATED") == "1") File.WriteAllText(MonitoringFiles.PrometheusRule, generated);
        var onDisk = File.Exists(MonitoringFiles.PrometheusRule) ? File.ReadAllText(MonitoringFiles.PrometheusRule).Replace("\r\n", "\n") : "";
        Assert.True(generated == onDisk,
            "k8s/base/monitoring/prometheusrule.yaml differs from what personalization.rules.yaml generates; regenerate it with " +
            "PZ_WRITE_GENERATED=1 dotnet test Personalization.Tests -c Release --filter FullyQualifiedName~Monitoring.AlertRuleTests");
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void Every_kustomization_deploys_the_same_groups_as_the_rule_file(string target)
    {
        var rule = Kustomize.Render(target).Single("PrometheusRule");
        var fromFile = Kustomize.ParseYamlStream(File.ReadAllText(MonitoringFiles.Rules)).Single()["groups"]!;
        Assert.Equal(Canonical(fromFile), Canonical(rule["spec"]!["groups"]!));
    }

    // kustomize writes keys in its own order: compare with every object's keys sorted.
    private static string Canonical(System.Text.Json.Nodes.JsonNode node) => node switch
    {
        System.Text.Json.Nodes.JsonObject o => "{" + string.Join(",", o.OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => System.Text.Json.JsonSerializer.Serialize(kv.Key) + ":" + (kv.Value is null ? "null" : Canonical(kv.Value)))) + "}",
        System.Text.Json.Nodes.JsonArray a => "[" + string.Join(",", a.Select(v => v is null ? "null" : Canonical(v))) + "]",
        _ => node.ToJsonString(),
    };

    public static TheoryData<string> Targets => Kustomize.TargetData();

    [Fact]
    public void Every_alert_has_a_promtool_test_a_severity_and_a_README_entry()
    {
        var tests = File.ReadAllText(MonitoringFiles.RuleTests);
        var readme = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "README.md"));
        var rules = Kustomize.ParseYamlStream(File.ReadAllText(MonitoringFiles.Rules)).Single()["groups"]!.AsArray()
            .SelectMany(g => g!["rules"]!.AsArray()).ToList();
        Assert.NotEmpty(rules);
        foreach (var rule in rules)
        {
            var alert = (string)rule!["alert"]!;
            Assert.Contains($"alertname: {alert}\n", tests.Replace("\r\n", "\n"), StringComparison.Ordinal);
            Assert.Contains($"`{alert}`", readme, StringComparison.Ordinal);
            Assert.Contains((string?)rule["labels"]?["severity"], new[] { "warning", "critical" });
            Assert.False(string.IsNullOrWhiteSpace((string?)rule["annotations"]?["summary"]), $"{alert} has no summary");
        }
    }

    [Fact]
    public void The_requested_alerts_exist()
    {
        // Issue 15's list: lag growing, DLQ rate, ingest restarts, p99 latency, unreachable members, model load failures, data-quality spikes.
        var alerts = MonitoringFiles.Alerts().Select(a => a.Alert).ToHashSet();
        foreach (var name in new[]
                 {
                     "PersonalizationConsumerLagGrowing", "PersonalizationDeadLetterRateHigh", "PersonalizationIngestRestarting",
                     "PersonalizationQueryLatencyHigh", "PersonalizationMemberUnreachable", "PersonalizationModelLoadFailed",
                     "PersonalizationDataQualitySpike", "PersonalizationPartitionRateDropped",
                 })
            Assert.Contains(name, alerts);
    }
}
