using System.Globalization;
using Akka.Discovery.KubernetesApi;
using Akka.Hosting;
using Akka.Management;
using Akka.Management.Cluster.Bootstrap;

namespace Personalization.Node.Hosting;

/// <summary>
/// How a node finds its cluster (<see cref="NodeOptions.ClusterOptions.Discovery"/>): static seed nodes — the default,
/// for <c>local-cluster</c>, bare processes and tests — or, in Kubernetes, Akka.Management Cluster Bootstrap with
/// Kubernetes API discovery (docs/DESIGN.md, "Cluster formation").
/// </summary>
public static class ClusterFormation
{
    public const string Seeds = "seeds";
    public const string Kubernetes = "kubernetes";

    /// <summary>What <see cref="Apply"/> will set up: the seed nodes (seeds), or the bootstrap settings (kubernetes).</summary>
    public sealed record Plan(string Discovery, string[] SeedNodes, NodeOptions.BootstrapOptions? Bootstrap, string? LabelSelector);

    /// <summary>The plan for these settings (valid ones: <see cref="Validate"/>). A node without seeds is its own seed.</summary>
    public static Plan For(NodeOptions.ClusterOptions cluster, int port, string publicHost)
    {
        if (IsKubernetes(cluster))
        {
            var b = cluster.Bootstrap;
            return new Plan(Kubernetes, [], b, string.Format(CultureInfo.InvariantCulture, b.PodLabelSelector, b.ServiceName));
        }

        var seeds = cluster.SeedNodeList;
        if (seeds.Length == 0) seeds = [$"akka.tcp://{cluster.SystemName}@{publicHost}:{port}"];
        return new Plan(Seeds, RemotingHosting.SeedNodesFor(cluster, seeds), null, null);
    }

    public static bool IsKubernetes(NodeOptions.ClusterOptions cluster) =>
        string.Equals(cluster.Discovery?.Trim(), Kubernetes, StringComparison.OrdinalIgnoreCase);

    /// <summary>A sentence naming the first wrong formation setting, or null.</summary>
    public static string? Validate(NodeOptions options)
    {
        var cluster = options.Cluster;
        var discovery = cluster.Discovery?.Trim().ToLowerInvariant();
        if (discovery is not (Seeds or Kubernetes))
            return $"Cluster:Discovery \"{cluster.Discovery}\" is unknown: use {Seeds} (static seed nodes, the default) or {Kubernetes} (Cluster Bootstrap with Kubernetes API discovery)";
        if (discovery == Seeds) return null;
        var b = cluster.Bootstrap;
        if (cluster.SeedNodeList.Length > 0)
            return "Cluster:SeedNodes is set but Cluster:Discovery is kubernetes: Cluster Bootstrap finds the seeds itself; remove Cluster:SeedNodes or use Cluster:Discovery=seeds";
        if (b.ManagementPort is < 1 or > 65535) return $"Cluster:Bootstrap:ManagementPort {b.ManagementPort} is not a port";
        if (b.ManagementPort == options.Http.Port || b.ManagementPort == options.Http.AdminPort || b.ManagementPort == cluster.Port)
            return $"Cluster:Bootstrap:ManagementPort {b.ManagementPort} is already the HTTP, admin or remoting port: give Akka.Management a port of its own";
        if (string.IsNullOrWhiteSpace(b.ServiceName)) return "Cluster:Bootstrap:ServiceName is empty: discovery needs a name to look up";
        if (string.IsNullOrWhiteSpace(b.PodLabelSelector) || !b.PodLabelSelector.Contains('='))
            return $"Cluster:Bootstrap:PodLabelSelector \"{b.PodLabelSelector}\" is not a label selector (key=value; {{0}} stands for the service name)";
        try
        {
            _ = string.Format(CultureInfo.InvariantCulture, b.PodLabelSelector, b.ServiceName);
        }
        catch (FormatException)
        {
            return $"Cluster:Bootstrap:PodLabelSelector \"{b.PodLabelSelector}\" has braces other than {{0}}";
        }

        if (string.IsNullOrWhiteSpace(b.ManagementPortName)) return "Cluster:Bootstrap:ManagementPortName is empty: discovery finds the management port by its name in the pod spec";
        if (b.RequiredContactPoints < 1) return $"Cluster:Bootstrap:RequiredContactPoints must be at least 1 (is {b.RequiredContactPoints})";
        return null;
    }

    /// <summary>Seeds: the seed list into Akka.Cluster. Kubernetes: no seeds, Akka.Management + Cluster Bootstrap + Kubernetes API discovery, started with the actor system.</summary>
    public static AkkaConfigurationBuilder WithClusterFormation(this AkkaConfigurationBuilder akka, Plan plan, NodeOptions.ClusterOptions cluster, string publicHost)
    {
        if (plan.Bootstrap is not { } b) return akka;
        return akka
            .WithAkkaManagement(hostName: publicHost, port: b.ManagementPort, bindHostname: cluster.Hostname, bindPort: b.ManagementPort, autoStart: true)
            .WithClusterBootstrap(o =>
            {
                o.ContactPointDiscovery.ServiceName = b.ServiceName;
                o.ContactPointDiscovery.PortName = b.ManagementPortName;
                o.ContactPointDiscovery.RequiredContactPointsNr = b.RequiredContactPoints;
            }, autoStart: true)
            .WithKubernetesDiscovery(o =>
            {
                o.PodLabelSelector = b.PodLabelSelector;
                o.AllNamespaces = false; // a Role in the engine's namespace, not a ClusterRole
                if (!string.IsNullOrWhiteSpace(b.PodNamespace)) o.PodNamespace = b.PodNamespace;
            });
    }
}
