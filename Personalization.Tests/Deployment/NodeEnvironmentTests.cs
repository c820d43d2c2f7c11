using Microsoft.Extensions.Configuration;
using Personalization.Node.Hosting;
using Xunit;

namespace Personalization.Tests.Deployment;

/// <summary>The environment a node process gets (local-cluster, the process tests) binds back to the same settings.</summary>
public sealed class NodeEnvironmentTests
{
    [Fact]
    public void Every_setting_including_nested_sections_and_librdkafka_properties_survives_the_environment()
    {
        var options = new NodeOptions();
        options.Http.AdminPort = 9191;
        options.Http.QueryTimeoutMs = 750;
        options.Cluster.Tls.CertificatePath = "/etc/pz/node.pfx";
        options.Cluster.Tls.RequireMutualAuthentication = false;
        options.Kafka.Config["security.protocol"] = "SASL_SSL";

        var env = NodeEnvironment.From(options);
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(env.Select(e => KeyValuePair.Create(e.Key.Replace("__", ":", StringComparison.Ordinal), (string?)e.Value)))
            .Build();
        var back = NodeConfiguration.FromConfiguration(configuration);

        Assert.Equal((9191, 750), (back.Http.AdminPort, back.Http.QueryTimeoutMs));
        Assert.Equal(("/etc/pz/node.pfx", false), (back.Cluster.Tls.CertificatePath, back.Cluster.Tls.RequireMutualAuthentication));
        Assert.Equal("SASL_SSL", back.Kafka.Config["security.protocol"]);
        Assert.DoesNotContain(env.Keys, k => k.EndsWith("__Tls", StringComparison.Ordinal));
    }
}
