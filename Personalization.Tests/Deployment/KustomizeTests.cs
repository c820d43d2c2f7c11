using Xunit;
using System.Globalization;
using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Personalization.Node.Hosting;
using Personalization.Tests.Infrastructure;
using static Personalization.Tests.Deployment.Manifests;

namespace Personalization.Tests.Deployment;

/// <summary>
/// Renders k8s/base and every overlay with `kubectl kustomize` and checks the deployment against the code it deploys:
/// settings that exist in <see cref="NodeOptions"/>, a seed list that matches the pods' DNS names and ports, probes on
/// the health endpoints, a grace period that covers the ingest drain, odd cluster sizes, secrets by reference.
/// </summary>
public sealed class KustomizeTests
{
    /// <summary>
    /// Settings the manifests pass that the node does not read yet, each with the reason. Keep this short: anything
    /// else under "Personalization__" that is not a NodeOptions property is a typo the node would silently ignore.
    /// </summary>
    private static readonly Dictionary<string, string> PendingSettings = new(StringComparer.OrdinalIgnoreCase)
    {
    };

    private const string Prefix = "Personalization__";

    public static TheoryData<string> Targets => Kustomize.TargetData();

    [Fact]
    public void Base_and_the_dev_and_prod_overlays_exist()
    {
        var targets = Kustomize.Targets();
        Assert.Contains("base", targets);
        Assert.Contains("overlays/dev", targets);
        Assert.Contains("overlays/prod", targets);
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void StatefulSet_is_an_odd_cluster_of_at_least_three_within_the_partition_count(string target)
    {
        var m = Kustomize.Render(target);
        var replicas = m.Replicas;
        Assert.True(replicas >= 3 && replicas % 2 == 1,
            $"k8s/{target}: replicas {replicas}: keep-majority split-brain resolution needs an odd member count >= 3");
        var options = BindOptions(m);
        Assert.True(replicas <= options.Kafka.Partitions,
            $"k8s/{target}: {replicas} replicas but {options.Kafka.Partitions} partitions: a pod without a partition hosts no shard");
        Assert.Equal("postgresql", options.Store.Provider, StringComparer.OrdinalIgnoreCase);
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void Headless_service_gives_the_pods_stable_dns_before_they_are_ready(string target)
    {
        var m = Kustomize.Render(target);
        var serviceName = Str(m.StatefulSet, "spec.serviceName");
        Assert.False(string.IsNullOrEmpty(serviceName), $"k8s/{target}: StatefulSet has no serviceName");
        var headless = m.Named("Service", serviceName!);
        Assert.True(headless is not null, $"k8s/{target}: no Service named {serviceName} (the StatefulSet's serviceName): pods get no DNS names");
        Assert.Equal("None", Str(headless, "spec.clusterIP"));
        Assert.True(At(headless, "spec.publishNotReadyAddresses")?.GetValue<bool>() == true,
            $"k8s/{target}: {serviceName} needs publishNotReadyAddresses: true (a pod is ready only after joining, and peers must resolve it to let it join)");
        AssertSelectsPods(m, headless!, "spec.selector");
        Assert.Equal(Map(m.StatefulSet, "spec.selector.matchLabels"), Map(headless, "spec.selector"));

        var options = BindOptions(m);
        var remoting = Arr(headless, "spec.ports").OfType<JsonObject>().SingleOrDefault(p => Long(p, "port") == options.Cluster.Port);
        Assert.True(remoting is not null, $"k8s/{target}: {serviceName} does not expose the remoting port {options.Cluster.Port}");
        Assert.Equal(options.Cluster.Port, m.ResolvePort(remoting!["targetPort"] ?? remoting["port"]));
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void Client_service_routes_port_80_to_the_http_api(string target)
    {
        var m = Kustomize.Render(target);
        var clients = m.OfKind("Service").Where(s => Str(s, "spec.clusterIP") != "None").ToList();
        var client = Assert.Single(clients);
        Assert.Equal("ClusterIP", Str(client, "spec.type") ?? "ClusterIP");
        AssertSelectsPods(m, client, "spec.selector");
        var port = Assert.Single(Arr(client, "spec.ports").OfType<JsonObject>());
        Assert.Equal(80, Long(port, "port"));
        Assert.Equal(BindOptions(m).Http.Port, m.ResolvePort(port["targetPort"]));
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void Settings_come_from_a_config_map(string target)
    {
        var m = Kustomize.Render(target);
        var fromConfigMap = m.Environment().Where(e => e.Source == EnvSource.ConfigMap).ToList();
        Assert.Contains(fromConfigMap, e => e.Name == Prefix + "Kafka__BootstrapServers");
        Assert.Contains(fromConfigMap, e => e.Name == Prefix + "Kafka__Partitions");
        Assert.Contains(fromConfigMap, e => e.Name == Prefix + "Cluster__Discovery");
        Assert.NotEmpty(m.OfKind("ConfigMap"));
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void Every_personalization_variable_names_a_real_NodeOptions_setting(string target)
    {
        var m = Kustomize.Render(target);
        var problems = new List<string>();
        foreach (var v in m.Environment())
        {
            if (!v.Name.StartsWith("Personalization", StringComparison.OrdinalIgnoreCase)) continue;
            if (!v.Name.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
            {
                problems.Add($"{v.Name}: nesting needs a double underscore ({Prefix}Section__Key)");
                continue;
            }

            var key = v.Name[Prefix.Length..].Replace("__", ":", StringComparison.Ordinal);
            if (PendingSettings.ContainsKey(key)) continue;
            if (ResolveSetting(key) is { } error) problems.Add($"{v.Name}: {error}");
        }

        Assert.True(problems.Count == 0,
            $"k8s/{target}: environment variables the node would ignore (see Personalization.Node/Hosting/NodeOptions.cs):\n  " + string.Join("\n  ", problems));
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void The_rendered_settings_bind_strictly_and_pass_the_nodes_validation(string target)
    {
        var m = Kustomize.Render(target);
        var options = BindOptions(m);
        Assert.Null(NodeConfiguration.Validate(options));
        Assert.Equal("0.0.0.0", options.Http.Host);
        Assert.Equal(options.Http.Port, m.ContainerPort("http"));
        Assert.True(options.Http.AdminPort > 0, $"k8s/{target}: Http:AdminPort is not set: the admin API would be served on the port the client Service exposes");
        Assert.Equal(options.Http.AdminPort, m.ContainerPort("admin"));
        Assert.Equal(options.Cluster.Port, m.ContainerPort("remoting"));
        Assert.True(options.Kafka.Consume, $"k8s/{target}: Kafka:Consume is false: the StatefulSet's pods are the consumers");
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void Remoting_binds_to_the_pods_own_IP_from_the_downward_API(string target)
    {
        var env = Kustomize.Render(target).Environment().ToList();
        var hostname = env.SingleOrDefault(e => e.Name == Prefix + "Cluster__Hostname");
        Assert.True(hostname is { Source: EnvSource.Literal, Value: "$(POD_IP)" }, $"k8s/{target}: {Prefix}Cluster__Hostname must be $(POD_IP) (not 0.0.0.0)");
        var podIp = env.FindIndex(e => e is { Name: "POD_IP", Source: EnvSource.Field, RefKey: "status.podIP" });
        Assert.True(podIp >= 0 && podIp < env.IndexOf(hostname!), $"k8s/{target}: POD_IP must come from the downward API (status.podIP) before it is used");
    }

    /// <summary>
    /// Formation by Cluster Bootstrap with Kubernetes API discovery: the pods can find each other (a label selector that
    /// selects them, the management port by name, a token and a Role to list pods, bound to their ServiceAccount), a
    /// new cluster waits for a majority of the replicas, and every pod advertises its own headless DNS name.
    /// </summary>
    [Theory]
    [MemberData(nameof(Targets))]
    public void Cluster_bootstrap_finds_the_pods_through_the_kubernetes_api(string target)
    {
        var m = Kustomize.Render(target);
        var options = BindOptions(m);
        Assert.True(ClusterFormation.IsKubernetes(options.Cluster), $"k8s/{target}: Cluster:Discovery is {options.Cluster.Discovery}, not kubernetes");
        Assert.Empty(options.Cluster.SeedNodeList);
        var b = options.Cluster.Bootstrap;
        Assert.Equal(b.ManagementPort, m.ContainerPort(b.ManagementPortName));

        // The label selector (key=value pairs, {0} = the service name) selects the pods.
        var plan = ClusterFormation.For(options.Cluster, options.Cluster.Port, "pod");
        var podLabels = Map(m.StatefulSet, "spec.template.metadata.labels");
        foreach (var pair in plan.LabelSelector!.Split(',', StringSplitOptions.TrimEntries))
        {
            var (key, value) = (pair.Split('=')[0], pair.Split('=')[1]);
            Assert.True(podLabels.GetValueOrDefault(key) == value, $"k8s/{target}: the pod label selector {plan.LabelSelector} needs {key}={value} on the pods");
        }

        Assert.InRange(b.RequiredContactPoints, m.Replicas / 2 + 1, m.Replicas);

        // The API token and the right to list pods: the ServiceAccount, the Role, the RoleBinding.
        var account = Str(m.PodSpec, "serviceAccountName")!;
        Assert.NotEqual(false, At(m.PodSpec, "automountServiceAccountToken")?.GetValue<bool>());
        var serviceAccount = m.Named("ServiceAccount", account);
        Assert.True(serviceAccount is not null, $"k8s/{target}: no ServiceAccount {account}");
        Assert.NotEqual(false, At(serviceAccount, "automountServiceAccountToken")?.GetValue<bool>());
        var binding = Assert.Single(m.OfKind("RoleBinding"));
        var subject = Assert.Single(Arr(binding, "subjects").OfType<JsonObject>());
        Assert.Equal("ServiceAccount", Str(subject, "kind"));
        Assert.Equal(account, Str(subject, "name"));
        Assert.Equal(Str(binding, "metadata.namespace"), Str(subject, "namespace"));
        Assert.Equal("Role", Str(binding, "roleRef.kind"));
        var role = m.Named("Role", Str(binding, "roleRef.name")!);
        Assert.True(role is not null, $"k8s/{target}: the RoleBinding names Role {Str(binding, "roleRef.name")}, which is not rendered");
        Assert.Empty(m.OfKind("ClusterRole")); // pods of its own namespace only
        var rule = Assert.Single(Arr(role, "rules").OfType<JsonObject>());
        Assert.Equal([""], Arr(rule, "apiGroups").Select(x => x!.ToString()));
        Assert.Equal(["pods"], Arr(rule, "resources").Select(x => x!.ToString()));
        Assert.Equal(["get", "list", "watch"], Arr(rule, "verbs").Select(x => x!.ToString()).Order());

        // Each pod's Akka address is its headless DNS name (what the bootstrap's seed nodes answer with).
        var service = Str(m.StatefulSet, "spec.serviceName")!;
        var env = m.Environment();
        var publicHost = env.SingleOrDefault(e => e.Name == Prefix + "Cluster__PublicHostname");
        Assert.Equal($"$(POD_NAME).{service}", publicHost?.Value);
        Assert.True(env.ToList().FindIndex(e => e is { Name: "POD_NAME", Source: EnvSource.Field }) < env.ToList().IndexOf(publicHost!));
    }

    /// <summary>Remoting and the management port only from the engine's own pods; the admin listener also from operators; HTTP from anyone.</summary>
    [Theory]
    [MemberData(nameof(Targets))]
    public void The_network_policy_limits_remoting_and_the_admin_listener_to_the_pods_and_operators(string target)
    {
        var m = Kustomize.Render(target);
        var policy = Assert.Single(m.OfKind("NetworkPolicy"));
        AssertSelectsPods(m, policy, "spec.podSelector.matchLabels");
        Assert.Contains("Ingress", Arr(policy, "spec.policyTypes").Select(x => x!.ToString()));
        var podSelector = Map(m.StatefulSet, "spec.selector.matchLabels");
        var rules = Arr(policy, "spec.ingress").OfType<JsonObject>().ToList();
        Assert.All(rules, r => Assert.True(Arr(r, "ports").Count > 0, $"k8s/{target}: an ingress rule without ports opens every port"));

        // Who may reach a port: the union of the peers of the rules that list it (no `from`: anyone).
        List<JsonObject?> PeersOf(string portName)
        {
            var port = m.ContainerPort(portName);
            var peers = new List<JsonObject?>();
            foreach (var rule in rules.Where(r => Arr(r, "ports").OfType<JsonObject>().Any(p => m.ResolvePort(p["port"]) == port)))
            {
                var from = Arr(rule, "from").OfType<JsonObject>().ToList();
                if (from.Count == 0) peers.Add(null);
                else peers.AddRange(from);
            }

            return peers;
        }

        bool IsEnginePods(JsonObject? peer) =>
            peer is not null && peer["namespaceSelector"] is null && Map(peer, "podSelector.matchLabels").OrderBy(kv => kv.Key).SequenceEqual(podSelector.OrderBy(kv => kv.Key));
        bool IsOperators(JsonObject? peer) =>
            peer is not null && (Map(peer, "namespaceSelector.matchLabels").ContainsKey(OperatorsLabel) || Map(peer, "podSelector.matchLabels").ContainsKey(OperatorsLabel));

        Assert.Contains(null, PeersOf("http")); // the product API, probes and scraping
        foreach (var port in new[] { "remoting", "management" })
        {
            var peers = PeersOf(port);
            Assert.NotEmpty(peers);
            Assert.True(peers.All(IsEnginePods), $"k8s/{target}: {port} is reachable from more than the engine's own pods");
        }

        var admin = PeersOf("admin");
        Assert.Contains(admin, IsEnginePods);
        Assert.Contains(admin, IsOperators);
        Assert.True(admin.All(p => IsEnginePods(p) || IsOperators(p)), $"k8s/{target}: the admin listener is reachable from more than the pods and operators");
    }

    private const string OperatorsLabel = "personalization.example.com/operators";

    /// <summary>Prod runs with the Prometheus Operator: a PodMonitor scrapes every pod's /metrics on the HTTP port.</summary>
    [Fact]
    public void Prod_is_scraped_by_a_pod_monitor_on_the_metrics_port()
    {
        var m = Kustomize.Render("overlays/prod");
        var monitor = Assert.Single(m.OfKind("PodMonitor"));
        Assert.Equal("monitoring.coreos.com/v1", Str(monitor, "apiVersion"));
        AssertSelectsPods(m, monitor, "spec.selector.matchLabels");
        var endpoint = Assert.Single(Arr(monitor, "spec.podMetricsEndpoints").OfType<JsonObject>());
        Assert.Equal(BindOptions(m).Http.Port, m.ContainerPort(Str(endpoint, "port")!));
        Assert.Equal("/metrics", Str(endpoint, "path"));
        Assert.Equal(Str(m.StatefulSet, "metadata.namespace"), Str(monitor, "metadata.namespace"));
    }

    /// <summary>An overlay that goes back to a static seed list (Cluster:Discovery=seeds) lists the first pods, pod-0 first.</summary>
    [Theory]
    [MemberData(nameof(Targets))]
    public void Seed_nodes_if_any_are_the_first_pods_by_their_headless_dns_names_pod_0_first(string target)
    {
        var m = Kustomize.Render(target);
        var options = BindOptions(m);
        if (ClusterFormation.IsKubernetes(options.Cluster)) return; // Cluster_bootstrap_finds_the_pods_through_the_kubernetes_api
        var statefulSet = Name(m.StatefulSet)!;
        var service = Str(m.StatefulSet, "spec.serviceName")!;
        var ns = Str(m.StatefulSet, "metadata.namespace");
        var seeds = options.Cluster.SeedNodeList;
        Assert.True(seeds.Length >= Math.Min(3, m.Replicas),
            $"k8s/{target}: {seeds.Length} seed nodes; list pods 0..2 so a restarted pod-0 rejoins through the others instead of forming a new cluster");
        Assert.True(seeds.Length <= m.Replicas, $"k8s/{target}: {seeds.Length} seed nodes but only {m.Replicas} replicas");

        string? suffix = null;
        for (var i = 0; i < seeds.Length; i++)
        {
            var match = Regex.Match(seeds[i], @"^akka\.tcp://(?<system>[^@/]+)@(?<host>[^:/]+):(?<port>\d+)$");
            Assert.True(match.Success, $"k8s/{target}: seed node '{seeds[i]}' is not akka.tcp://<system>@<host>:<port>");
            Assert.Equal(options.Cluster.SystemName, match.Groups["system"].Value);
            Assert.Equal(options.Cluster.Port, int.Parse(match.Groups["port"].Value, CultureInfo.InvariantCulture));
            var host = match.Groups["host"].Value;
            var podPrefix = $"{statefulSet}-{i}.{service}";
            Assert.True(host.StartsWith(podPrefix, StringComparison.Ordinal),
                $"k8s/{target}: seed {i} is {host}; expected {podPrefix}[.<namespace>.svc.cluster.local] (pod {i} through the headless Service, in order, pod-0 first)");
            var rest = host[podPrefix.Length..];
            Assert.True(rest == "" || (ns is not null && rest == $".{ns}.svc.cluster.local") || Regex.IsMatch(rest, @"^\.[a-z0-9-]+(\.svc(\.cluster\.local)?)?$"),
                $"k8s/{target}: seed host {host} has an unexpected domain");
            suffix ??= rest;
            Assert.True(suffix == rest, $"k8s/{target}: seed hosts use different DNS forms");
        }

        // Each pod must advertise exactly the address its peers have in the seed list (Akka compares them as strings).
        var env = m.Environment();
        var publicHost = env.SingleOrDefault(e => e.Name == Prefix + "Cluster__PublicHostname");
        Assert.True(publicHost is { Source: EnvSource.Literal },
            $"k8s/{target}: {Prefix}Cluster__PublicHostname must be set in the pod spec as $(POD_NAME).{service}{suffix}");
        Assert.Equal($"$(POD_NAME).{service}{suffix}", publicHost!.Value);
        var podName = env.ToList().FindIndex(e => e is { Name: "POD_NAME", Source: EnvSource.Field, RefKey: "metadata.name" });
        Assert.True(podName >= 0, $"k8s/{target}: POD_NAME must come from the downward API (fieldRef metadata.name)");
        Assert.True(podName < env.ToList().IndexOf(publicHost), $"k8s/{target}: POD_NAME must be defined before the variables that use $(POD_NAME)");
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void Secrets_are_referenced_never_written_into_the_manifests(string target)
    {
        var m = Kustomize.Render(target);
        var env = m.Environment();
        var connection = env.SingleOrDefault(e => e.Name == Prefix + "Store__ConnectionString");
        Assert.True(connection is { Source: EnvSource.Secret },
            $"k8s/{target}: the store connection string must come from a Secret (secretKeyRef), not a literal or a ConfigMap");
        var console = env.SingleOrDefault(e => e.Name == Prefix + "Console__Token");
        Assert.True(console is { Source: EnvSource.Secret }, $"k8s/{target}: the console token must come from a Secret (secretKeyRef)");

        foreach (var v in env.Where(e => e.Source is EnvSource.Literal or EnvSource.ConfigMap))
            Assert.False(Regex.IsMatch(v.Value ?? "", "(password|pwd)\\s*=", RegexOptions.IgnoreCase), $"k8s/{target}: {v.Name} carries a password in clear text");

        var renderedSecrets = m.OfKind("Secret").ToList();
        if (target != "overlays/dev")
            Assert.True(renderedSecrets.Count == 0, $"k8s/{target}: renders Secrets; only the dev overlay may generate (throw-away) Secrets");

        var example = Kustomize.ParseYamlStream(File.ReadAllText(Path.Combine(RepositoryPaths.Root, "k8s", "secrets.example.yaml")));
        foreach (var reference in env.Where(e => e.Source == EnvSource.Secret))
        {
            var rendered = renderedSecrets.FirstOrDefault(s => Name(s) == reference.RefName);
            if (rendered is not null)
            {
                Assert.True(At(rendered, "data." + reference.RefKey) is not null || At(rendered, "stringData." + reference.RefKey) is not null,
                    $"k8s/{target}: Secret {reference.RefName} has no key {reference.RefKey}");
                continue;
            }

            var documented = example.FirstOrDefault(s => Name(s) == reference.RefName);
            Assert.True(documented is not null && At(documented, "stringData." + reference.RefKey) is not null,
                $"k8s/{target}: {reference.Name} reads Secret {reference.RefName}/{reference.RefKey}, which k8s/secrets.example.yaml does not describe");
        }
    }

    [Fact]
    public void The_secret_example_is_not_part_of_any_kustomization()
    {
        foreach (var file in Directory.GetFiles(Path.Combine(RepositoryPaths.Root, "k8s"), "kustomization.yaml", SearchOption.AllDirectories))
        {
            var content = File.ReadAllLines(file).Select(l => l.Split('#')[0]);
            Assert.DoesNotContain(content, l => l.Contains("secrets.example", StringComparison.Ordinal));
        }
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void Probes_use_the_health_endpoints(string target)
    {
        var m = Kustomize.Render(target);
        var c = m.Container;
        var httpPort = BindOptions(m).Http.Port;
        Assert.Equal("/healthz/live", Str(c, "livenessProbe.httpGet.path"));
        Assert.Equal("/healthz/ready", Str(c, "readinessProbe.httpGet.path"));
        Assert.Equal(httpPort, m.ResolvePort(At(c, "livenessProbe.httpGet.port")));
        Assert.Equal(httpPort, m.ResolvePort(At(c, "readinessProbe.httpGet.port")));
        Assert.True(At(c, "startupProbe") is JsonObject, $"k8s/{target}: no startupProbe (model load + cluster join take seconds)");
        Assert.Equal(httpPort, m.ResolvePort(At(c, "startupProbe.httpGet.port")));
        var startupBudget = Long(c, "startupProbe.failureThreshold") * Long(c, "startupProbe.periodSeconds");
        Assert.True(startupBudget >= 30, $"k8s/{target}: the startup probe gives up after {startupBudget} s");
        Assert.True(Long(c, "livenessProbe.failureThreshold") >= 3, $"k8s/{target}: liveness kills a pod after a single slow answer");
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void Grace_period_covers_the_pre_stop_sleep_and_coordinated_shutdown(string target)
    {
        var m = Kustomize.Render(target);
        var grace = Long(m.PodSpec, "terminationGracePeriodSeconds");
        var preStop = PreStopSleepSeconds(m.Container);
        Assert.True(preStop is > 0 and <= 15, $"k8s/{target}: preStop must be a short sleep (found {preStop} s)");

        var shutdown = BindOptions(m).Shutdown;
        Assert.Null(NodeConfiguration.ValidateShutdown(shutdown));
        Assert.True(grace > preStop + shutdown.TotalSeconds,
            $"k8s/{target}: terminationGracePeriodSeconds {grace} <= preStop {preStop} s + the node's shutdown budget (Shutdown:TotalSeconds) {shutdown.TotalSeconds} s: SIGKILL would cut the drain");
        Assert.DoesNotContain(m.Environment(), e => e.Name == "DOTNET_shutdownTimeoutSeconds"); // the node sets the host's timeout from Shutdown:TotalSeconds
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void Disruption_budget_keeps_a_majority(string target)
    {
        var m = Kustomize.Render(target);
        var pdb = m.Single("PodDisruptionBudget");
        Assert.Equal("policy/v1", Str(pdb, "apiVersion"));
        AssertSelectsPods(m, pdb, "spec.selector.matchLabels");
        var maxUnavailable = At(pdb, "spec.maxUnavailable");
        var minAvailable = At(pdb, "spec.minAvailable");
        if (maxUnavailable is not null)
            Assert.Equal("1", maxUnavailable.ToString());
        else
            Assert.True(minAvailable is not null && int.Parse(minAvailable.ToString(), CultureInfo.InvariantCulture) >= m.Replicas / 2 + 1,
                $"k8s/{target}: the PodDisruptionBudget must keep a majority of {m.Replicas} (maxUnavailable: 1 or minAvailable >= {m.Replicas / 2 + 1})");
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void Resources_have_requests_and_limits(string target)
    {
        var m = Kustomize.Render(target);
        var c = m.Container;
        foreach (var resource in new[] { "cpu", "memory" })
        {
            var request = Str(c, $"resources.requests.{resource}");
            var limit = Str(c, $"resources.limits.{resource}");
            Assert.True(request is not null && limit is not null, $"k8s/{target}: {resource} needs a request and a limit");
            Assert.True(Quantity(request!) <= Quantity(limit!), $"k8s/{target}: {resource} request {request} exceeds its limit {limit}");
        }

        Assert.True(Quantity(Str(c, "resources.limits.memory")!) >= 512m * 1024 * 1024, $"k8s/{target}: less than 512Mi cannot hold the runtime and the model");
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void Pods_run_unprivileged_with_a_read_only_root(string target)
    {
        var m = Kustomize.Render(target);
        var pod = m.PodSpec;
        var c = m.Container;
        Assert.True(At(pod, "securityContext.runAsNonRoot")?.GetValue<bool>() == true || At(c, "securityContext.runAsNonRoot")?.GetValue<bool>() == true,
            $"k8s/{target}: runAsNonRoot is not set");
        var uid = At(c, "securityContext.runAsUser") ?? At(pod, "securityContext.runAsUser");
        Assert.True(uid is null || uid.GetValue<long>() != 0, $"k8s/{target}: runs as root");
        Assert.True(At(c, "securityContext.allowPrivilegeEscalation")?.GetValue<bool>() == false, $"k8s/{target}: allowPrivilegeEscalation is not false");
        Assert.True(At(c, "securityContext.readOnlyRootFilesystem")?.GetValue<bool>() == true, $"k8s/{target}: the root filesystem is writable");
        var tmp = Arr(c, "volumeMounts").OfType<JsonObject>().SingleOrDefault(v => Str(v, "mountPath") == "/tmp");
        Assert.True(tmp is not null, $"k8s/{target}: a read-only root needs a writable /tmp (the runtime's diagnostics socket)");
        var volume = Arr(pod, "volumes").OfType<JsonObject>().Single(v => Str(v, "name") == Str(tmp, "name"));
        Assert.True(volume["emptyDir"] is not null, $"k8s/{target}: /tmp should be an emptyDir");
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void Pods_spread_over_nodes_and_are_scraped_by_prometheus(string target)
    {
        var m = Kustomize.Render(target);
        var antiAffinity = At(m.PodSpec, "affinity.podAntiAffinity") as JsonObject;
        Assert.True(antiAffinity is not null, $"k8s/{target}: no pod anti-affinity");
        var terms = Arr(antiAffinity, "requiredDuringSchedulingIgnoredDuringExecution").OfType<JsonObject>()
            .Concat(Arr(antiAffinity, "preferredDuringSchedulingIgnoredDuringExecution").OfType<JsonObject>().Select(p => Obj(p, "podAffinityTerm")))
            .ToList();
        Assert.Contains(terms, t => Str(t, "topologyKey") == "kubernetes.io/hostname");
        if (target == "overlays/prod")
            Assert.True(Arr(antiAffinity, "requiredDuringSchedulingIgnoredDuringExecution").Count > 0,
                $"k8s/{target}: production must never put two members on one node (a node loss would cost the majority)");

        var annotations = Map(m.StatefulSet, "spec.template.metadata.annotations");
        Assert.Equal("true", annotations.GetValueOrDefault("prometheus.io/scrape"));
        Assert.Equal("/metrics", annotations.GetValueOrDefault("prometheus.io/path"));
        Assert.Equal(BindOptions(m).Http.Port.ToString(CultureInfo.InvariantCulture), annotations.GetValueOrDefault("prometheus.io/port"));
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void Every_object_carries_the_recommended_labels(string target)
    {
        var m = Kustomize.Render(target);
        foreach (var o in m.Objects)
        {
            var labels = Map(o, "metadata.labels");
            Assert.True(labels.GetValueOrDefault("app.kubernetes.io/name") == "personalization" && labels.ContainsKey("app.kubernetes.io/instance"),
                $"k8s/{target}: {Str(o, "kind")} {Name(o)} lacks app.kubernetes.io/name or /instance");
        }

        var podLabels = Map(m.StatefulSet, "spec.template.metadata.labels");
        Assert.True(podLabels.ContainsKey("app.kubernetes.io/part-of") && podLabels.ContainsKey("app.kubernetes.io/component"));
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void The_container_runs_the_images_entrypoint_with_the_run_verb(string target)
    {
        var m = Kustomize.Render(target);
        var c = m.Container;
        Assert.True(At(c, "command") is null, $"k8s/{target}: `command` would replace the image's ENTRYPOINT (dotnet personalization.dll)");
        var args = Arr(c, "args").Select(a => a!.ToString()).ToList();
        Assert.True(args.Count == 0 || args[0] == "run", $"k8s/{target}: the production verb is `run`, not `{string.Join(' ', args)}`");
        var image = Str(c, "image")!;
        if (target == "overlays/prod")
        {
            var tag = image.Contains('@', StringComparison.Ordinal) ? "digest" : image[(image.LastIndexOf('/') + 1)..].Split(':').ElementAtOrDefault(1);
            Assert.True(tag is not null && tag != "latest", $"k8s/{target}: image {image} needs a fixed tag or digest");
        }
    }

    // ---------------------------------------------------------------------------------------------------------

    /// <summary>NodeOptions as the pod would bind it (ErrorOnUnknownConfiguration: a wrong key or value throws).</summary>
    internal static NodeOptions BindOptions(Manifests m)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var v in m.Environment())
        {
            if (!v.Name.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase)) continue;
            var key = v.Name[Prefix.Length..].Replace("__", ":", StringComparison.Ordinal);
            if (PendingSettings.ContainsKey(key)) continue;
            values["Personalization:" + key] = v.Source switch
            {
                EnvSource.Secret => $"<secret {v.RefName}/{v.RefKey}>",
                EnvSource.Field => "<downward API>",
                _ => (v.Value ?? "").Replace("$(POD_NAME)", Name(m.StatefulSet) + "-0", StringComparison.Ordinal),
            };
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var options = new NodeOptions();
        try
        {
            configuration.GetSection(NodeOptions.Section).Bind(options, o => o.ErrorOnUnknownConfiguration = true);
        }
        catch (InvalidOperationException e)
        {
            Assert.Fail($"k8s/{m.Target}: the rendered settings do not bind to NodeOptions: {e.Message}");
        }

        return options;
    }

    /// <summary>Null if "Section:Key" is a settable NodeOptions property of a simple type (or a key of a map setting), else what is wrong.</summary>
    private static string? ResolveSetting(string key)
    {
        var type = typeof(NodeOptions);
        var parts = key.Split(':');
        for (var i = 0; i < parts.Length; i++)
        {
            var property = type.GetProperty(parts[i], BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
            if (property is null)
                return $"{type.Name} has no property '{parts[i]}' (has: {string.Join(", ", type.GetProperties().Select(p => p.Name))})";
            var last = i == parts.Length - 1;
            var simple = property.PropertyType.IsPrimitive || property.PropertyType.IsEnum || property.PropertyType == typeof(string) ||
                         property.PropertyType == typeof(TimeSpan) || property.PropertyType == typeof(decimal);
            if (last)
            {
                if (!simple) return $"{type.Name}.{property.Name} is a section, not a value";
                if (property.SetMethod is not { IsPublic: true }) return $"{type.Name}.{property.Name} is read-only (derived)";
                return null;
            }

            if (simple) return $"{type.Name}.{property.Name} is a value, it has no '{parts[i + 1]}'";
            // A map of free-form keys (Kafka:Config: librdkafka properties, checked by the node's validation).
            if (property.PropertyType == typeof(Dictionary<string, string>)) return null;
            type = property.PropertyType;
        }

        return "empty key";
    }

    private static void AssertSelectsPods(Manifests m, JsonObject selectorOwner, string path)
    {
        var selector = Map(selectorOwner, path);
        var podLabels = Map(m.StatefulSet, "spec.template.metadata.labels");
        Assert.True(selector.Count > 0, $"k8s/{m.Target}: {Str(selectorOwner, "kind")} {Name(selectorOwner)} has no selector");
        foreach (var (k, v) in selector)
            Assert.True(podLabels.GetValueOrDefault(k) == v, $"k8s/{m.Target}: {Str(selectorOwner, "kind")} {Name(selectorOwner)} selects {k}={v}, which the pods do not carry");
    }

    private static long PreStopSleepSeconds(JsonObject container)
    {
        if (At(container, "lifecycle.preStop.sleep.seconds") is { } sleep) return sleep.GetValue<long>();
        var command = Arr(container, "lifecycle.preStop.exec.command").Select(x => x!.ToString()).ToList();
        Assert.True(command.Count > 0, "no preStop hook: the drain would start while endpoints still route traffic to the pod");
        var match = Regex.Match(string.Join(' ', command), @"\bsleep\s+(\d+)");
        Assert.True(match.Success, $"preStop `{string.Join(' ', command)}` is not a sleep");
        return long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    /// <summary>How long the node's Kafka ingest waits for in-flight events on shutdown (from the code, not a copy).</summary>
    /// <summary>A Kubernetes quantity (cpu "250m", "2"; memory "512Mi", "4Gi", "1G") as a number.</summary>
    private static decimal Quantity(string q)
    {
        var match = Regex.Match(q, @"^(?<n>\d+(\.\d+)?)(?<unit>m|k|M|G|T|Ki|Mi|Gi|Ti)?$");
        Assert.True(match.Success, $"quantity {q}");
        var n = decimal.Parse(match.Groups["n"].Value, CultureInfo.InvariantCulture);
        return match.Groups["unit"].Value switch
        {
            "" => n,
            "m" => n / 1000,
            "k" => n * 1000,
            "M" => n * 1_000_000,
            "G" => n * 1_000_000_000,
            "T" => n * 1_000_000_000_000,
            "Ki" => n * 1024,
            "Mi" => n * 1024 * 1024,
            "Gi" => n * 1024 * 1024 * 1024,
            "Ti" => n * 1024m * 1024 * 1024 * 1024,
            var u => throw new FormatException(u),
        };
    }
}
