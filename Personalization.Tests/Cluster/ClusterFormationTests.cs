using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Personalization.Node.Hosting;
using Personalization.Tests.Engine;
using Personalization.Tests.Infrastructure;
using Xunit;

namespace Personalization.Tests.Cluster;

/// <summary>
/// How a node forms its cluster, chosen by configuration (Cluster:Discovery): static seed nodes (the default:
/// local-cluster, bare processes) or Cluster Bootstrap with Kubernetes API discovery (k8s/).
/// </summary>
public sealed class ClusterFormationTests
{
    private static NodeOptions Options(Action<NodeOptions.ClusterOptions>? cluster = null)
    {
        var options = TestNode.CreateOptions("127.0.0.1:1", "t", 1, "sqlite", EngineTestContext.SqliteConnectionString());
        cluster?.Invoke(options.Cluster);
        return options;
    }

    [Fact]
    public void By_default_a_node_uses_seed_nodes_and_without_any_is_its_own_seed()
    {
        var alone = ClusterFormation.For(new NodeOptions.ClusterOptions(), 4053, "10.0.0.7");
        Assert.Equal(ClusterFormation.Seeds, alone.Discovery);
        Assert.Equal(["akka.tcp://personalization@10.0.0.7:4053"], alone.SeedNodes);
        Assert.Null(alone.Bootstrap);

        var listed = ClusterFormation.For(new NodeOptions.ClusterOptions { SeedNodes = "akka.tcp://personalization@a:4053, akka.tcp://personalization@b:4053" }, 4053, "a");
        Assert.Equal(["akka.tcp://personalization@a:4053", "akka.tcp://personalization@b:4053"], listed.SeedNodes);
    }

    [Fact]
    public void Kubernetes_discovery_is_cluster_bootstrap_without_seeds_selecting_the_pods_by_label()
    {
        var cluster = new NodeOptions.ClusterOptions { Discovery = "kubernetes" };
        cluster.Bootstrap.RequiredContactPoints = 3;
        var plan = ClusterFormation.For(cluster, 4053, "personalization-0.personalization-headless");
        Assert.Equal(ClusterFormation.Kubernetes, plan.Discovery);
        Assert.Empty(plan.SeedNodes);
        Assert.Equal("app.kubernetes.io/name=personalization", plan.LabelSelector);
        Assert.Equal(3, plan.Bootstrap!.RequiredContactPoints);
        Assert.True(ClusterFormation.IsKubernetes(new NodeOptions.ClusterOptions { Discovery = " Kubernetes " }));
    }

    [Theory]
    [InlineData("kubernetes", "akka.tcp://personalization@a:4053", 8558, "app=x", 2, "Cluster:SeedNodes is set but Cluster:Discovery is kubernetes")]
    [InlineData("dns", "", 8558, "app=x", 2, "Cluster:Discovery \"dns\" is unknown")]
    [InlineData("kubernetes", "", 0, "app=x", 2, "Cluster:Bootstrap:ManagementPort 0 is not a port")]
    [InlineData("kubernetes", "", 4053, "app=x", 2, "already the HTTP, admin or remoting port")]
    [InlineData("kubernetes", "", 8558, "personalization", 2, "is not a label selector")]
    [InlineData("kubernetes", "", 8558, "app={1}", 2, "has braces other than {0}")]
    [InlineData("kubernetes", "", 8558, "app=x", 0, "RequiredContactPoints must be at least 1")]
    public void Bad_formation_settings_are_refused_with_a_sentence(string discovery, string seeds, int managementPort, string selector, int contactPoints, string expected)
    {
        var options = Options(c =>
        {
            c.Port = 4053;
            c.Discovery = discovery;
            c.SeedNodes = seeds;
            c.Bootstrap.ManagementPort = managementPort;
            c.Bootstrap.PodLabelSelector = selector;
            c.Bootstrap.RequiredContactPoints = contactPoints;
        });
        var problem = NodeConfiguration.Validate(options);
        Assert.NotNull(problem);
        Assert.Contains(expected, problem);
        Assert.Throws<ArgumentException>(() => EngineHost.Build(options));
    }

    [Fact]
    public async Task The_host_configures_Akka_Management_and_bootstrap_only_for_kubernetes_discovery()
    {
        var seedsOptions = Options();
        Assert.Null(NodeConfiguration.Validate(seedsOptions));
        var kubernetesOptions = Options(c =>
        {
            c.Discovery = "kubernetes";
            c.Bootstrap.ManagementPort = 18558;
            c.Bootstrap.RequiredContactPoints = 3;
        });
        Assert.Null(NodeConfiguration.Validate(kubernetesOptions));

        await using var seeds = EngineHost.Build(seedsOptions);
        var seedConfig = Config(seeds);
        Assert.False(seedConfig.HasPath("akka.management.http.port") && seedConfig.HasPath("akka.discovery.kubernetes-api.pod-label-selector")
                     && seedConfig.GetString("akka.discovery.method") == "kubernetes-api");
        Assert.Single(seedConfig.GetStringList("akka.cluster.seed-nodes"));

        await using var kubernetes = EngineHost.Build(kubernetesOptions);
        var config = Config(kubernetes);
        Assert.Empty(config.GetStringList("akka.cluster.seed-nodes"));
        Assert.Equal(18558, config.GetInt("akka.management.http.port"));
        Assert.Equal("kubernetes-api", config.GetString("akka.discovery.method"));
        Assert.Equal("app.kubernetes.io/name={0}", config.GetString("akka.discovery.kubernetes-api.pod-label-selector"));
        Assert.False(config.GetBoolean("akka.discovery.kubernetes-api.all-namespaces"));
        Assert.Equal(3, config.GetInt("akka.management.cluster.bootstrap.contact-point-discovery.required-contact-point-nr"));
        Assert.Equal("personalization", config.GetString("akka.management.cluster.bootstrap.contact-point-discovery.service-name"));
    }

    /// <summary>The actor system's configuration as the host assembled it (the builder runs the node's Akka set-up when resolved).</summary>
    private static Akka.Configuration.Config Config(Microsoft.AspNetCore.Builder.WebApplication app)
    {
        var builder = app.Services.GetRequiredService<AkkaConfigurationBuilder>();
        Assert.True(builder.Configuration.HasValue);
        return builder.Configuration.Value;
    }
}
