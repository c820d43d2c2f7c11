using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Personalization.Tests.Deployment;
using Personalization.Tests.Infrastructure;
using Xunit;

namespace Personalization.Tests.Monitoring;

/// <summary>
/// The monitoring files under k8s/base/monitoring/: the plain rule file promtool reads, its unit tests, the
/// PrometheusRule generated from it, and the Grafana dashboard; and Debian's Prometheus binaries.
/// </summary>
public static class MonitoringFiles
{
    public const string Promtool = "/usr/bin/promtool";
    public const string Prometheus = "/usr/bin/prometheus";

    public static string Folder => Path.Combine(RepositoryPaths.Root, "k8s", "base", "monitoring");

    public static string Rules => Path.Combine(Folder, "personalization.rules.yaml");

    public static string RuleTests => Path.Combine(Folder, "personalization.rules.test.yaml");

    public static string PrometheusRule => Path.Combine(Folder, "prometheusrule.yaml");

    public static string Dashboard => Path.Combine(Folder, "grafana-dashboard.json");

    /// <summary>The PrometheusRule's object, above its spec; the spec is the rule file's <c>groups</c>, indented.</summary>
    private const string PrometheusRuleHeader = """
        # GENERATED from personalization.rules.yaml (Monitoring/AlertRuleTests): do not edit; edit the rule file and run
        #   PZ_WRITE_GENERATED=1 dotnet test Personalization.Tests -c Release --filter FullyQualifiedName~Monitoring.AlertRuleTests
        # The Prometheus Operator's form of the same alerting rules; its Prometheus must select this object
        # (ruleSelector / ruleNamespaceSelector; with kube-prometheus-stack add the release label it selects on).
        apiVersion: monitoring.coreos.com/v1
        kind: PrometheusRule
        metadata:
          name: personalization
          labels:
            app.kubernetes.io/name: personalization
            app.kubernetes.io/instance: personalization
            app.kubernetes.io/component: alerts
        spec:

        """;

    /// <summary>The PrometheusRule as generated from the rule file: the header, then every line from <c>groups:</c> on, indented by two.</summary>
    public static string GeneratedPrometheusRule()
    {
        var lines = File.ReadAllLines(Rules);
        var start = Array.FindIndex(lines, l => l.StartsWith("groups:", StringComparison.Ordinal));
        Assert.True(start >= 0, $"{Rules} has no top-level `groups:`");
        var text = new StringBuilder(PrometheusRuleHeader.Replace("\r\n", "\n"));
        foreach (var line in lines.Skip(start)) text.Append(line.Length == 0 ? "" : "  " + line).Append('\n');
        return text.ToString();
    }

    public static void RequireBinary(string path) =>
        Assert.True(File.Exists(path),
            $"{path} is missing: the monitoring tests run Debian's Prometheus tools; install them with `apt-get install --no-install-recommends prometheus` (test.sh and .ci/run do)");

    public static async Task<(int Code, string Output)> RunAsync(string binary, string workingDirectory, params string[] arguments)
    {
        RequireBinary(binary);
        var start = new ProcessStartInfo(binary)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{binary} {string.Join(' ', arguments)} did not finish in 60 s");
        }

        return (process.ExitCode, await output + await error);
    }

    /// <summary>The alerting rules of the rule file: (alert name, expression).</summary>
    public static IReadOnlyList<(string Alert, string Expr)> Alerts()
    {
        var groups = Kustomize.ParseYamlStream(File.ReadAllText(Rules)).Single()["groups"]!.AsArray();
        return groups.SelectMany(g => g!["rules"]!.AsArray())
            .Where(r => r!["alert"] is not null)
            .Select(r => ((string)r!["alert"]!, (string)r["expr"]!))
            .ToList();
    }

    /// <summary>Every query of the dashboard's panels (their targets' <c>expr</c>) and of its templating variables.</summary>
    public static IReadOnlyList<string> DashboardQueries()
    {
        var dashboard = JsonNode.Parse(File.ReadAllText(Dashboard))!.AsObject();
        var queries = new List<string>();
        void Panels(JsonArray? panels)
        {
            foreach (var panel in panels ?? [])
            {
                foreach (var target in panel!["targets"]?.AsArray() ?? []) queries.Add((string)target!["expr"]!);
                Panels(panel["panels"]?.AsArray()); // rows hold panels
            }
        }

        Panels(dashboard["panels"]?.AsArray());
        foreach (var variable in dashboard["templating"]?["list"]?.AsArray() ?? [])
        {
            if ((string?)variable!["type"] != "query") continue;
            var query = variable["query"];
            queries.Add(query is JsonObject o ? (string)o["query"]! : (string)query!);
        }

        return queries;
    }
}
