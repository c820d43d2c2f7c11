using System.Net;
using System.Net.Http.Json;
using Personalization.Actors.Kafka.Broker;
using Personalization.Node.Hosting;
using Personalization.Node.Http.Admin;
using Personalization.Tests.Engine;
using Personalization.Tests.Infrastructure;
using Xunit;

namespace Personalization.Tests.Security;

/// <summary>
/// The fault suite's network-partition hook (<c>Cluster:NetworkFaultInjection</c>, test only): remoting through the
/// throttler adapter (scheme <c>akka.trttl.tcp</c>, seeds rewritten to it) and admin endpoints that validate what
/// they are asked to cut. Off by default: <c>ConsoleNodeTests.Network_fault_injection_is_off_by_default…</c>.
/// </summary>
public sealed class NetworkFaultInjectionTests
{
    [Fact]
    public void Seeds_are_rewritten_to_the_throttler_scheme_with_and_without_TLS()
    {
        var faults = new NodeOptions.ClusterOptions { NetworkFaultInjection = true };
        var both = new NodeOptions.ClusterOptions { NetworkFaultInjection = true, Tls = { CertificatePath = "/etc/pz/node.pfx" } };

        Assert.Equal("akka.tcp", RemotingHosting.Protocol(new NodeOptions.ClusterOptions()));
        Assert.Equal(["akka.trttl.tcp://personalization@pod-0:4053"], RemotingHosting.SeedNodesFor(faults, ["akka.tcp://personalization@pod-0:4053"]));
        Assert.Equal(["akka.trttl.ssl.tcp://personalization@pod-0:4053"], RemotingHosting.SeedNodesFor(both, ["akka.tcp://personalization@pod-0:4053"]));
        Assert.Equal("", RemotingHosting.NetworkFaultHocon(new NodeOptions.ClusterOptions()));
        Assert.Contains("applied-adapters = [trttl]", RemotingHosting.NetworkFaultHocon(faults));
    }

    [Fact]
    public async Task A_node_with_the_hook_speaks_through_the_throttler_and_refuses_cuts_it_cannot_mean()
    {
        using var broker = EmbeddedKafkaBroker.Start(brokers: 1);
        var options = TestNode.CreateOptions(broker.BootstrapServers, KafkaTestKit.NewTopic(broker, 2), 2, "sqlite", EngineTestContext.SqliteConnectionString());
        options.Cluster.NetworkFaultInjection = true;
        await using var node = await TestNode.StartAsync(options);
        var self = (await node.Http.GetFromJsonAsync("/admin/cluster", AdminJsonContext.Default.ClusterStateDto))!.Self;
        const string stranger = "akka.trttl.tcp://personalization@10.9.9.9:4053";

        Assert.StartsWith("akka.trttl.tcp://personalization@127.0.0.1:", self);
        await AssertAnswersAsync(node, "cut", self, HttpStatusCode.BadRequest, "cannot be cut off from itself");
        await AssertAnswersAsync(node, "cut", stranger, HttpStatusCode.NotFound, "is not a member of the cluster");
        await AssertAnswersAsync(node, "cut", "not an address", HttpStatusCode.BadRequest, "is not a cluster address");
        // Healing needs no member (the peer may have been removed since the cut): the throttler takes it.
        await AssertAnswersAsync(node, "heal", stranger, HttpStatusCode.OK, "is restored");
    }

    private static async Task AssertAnswersAsync(TestNode node, string action, string address, HttpStatusCode status, string says)
    {
        using var response = await node.Http.PostAsJsonAsync($"/admin/faults/network/{action}", new ClusterAddressRequest(address),
            AdminJsonContext.Default.ClusterAddressRequest);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{action} {address}: {(int)response.StatusCode} {body}");
        Assert.Contains(says, body);
    }
}
