using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Hosting;
using Akka.Hosting;
using Akka.Remote.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Personalization.Node.Hosting;
using Personalization.Tests.Infrastructure;
using Xunit;

namespace Personalization.Tests.Security;

/// <summary>Remoting over TLS when a certificate is configured: TLS nodes form a cluster; a plain node cannot join them.</summary>
public sealed class RemotingTlsTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("pz-tls-").FullName;
    private readonly List<IHost> _hosts = [];

    private string CertificateFile()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=personalization-node", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var path = Path.Combine(_folder, "node.pfx");
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pfx, "secret"));
        return path;
    }

    private async Task<ActorSystem> StartNodeAsync(NodeOptions.RemotingTlsOptions tls, int port, int seedPort)
    {
        var cluster = new NodeOptions.ClusterOptions { Hostname = "127.0.0.1", Tls = tls };
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddAkka("personalization", (akka, _) => akka
            .WithRemoting(RemotingHosting.RemoteOptionsFor(cluster, port, "127.0.0.1"))
            .WithClustering(new ClusterOptions { SeedNodes = RemotingHosting.SeedNodesFor(cluster, [$"akka.tcp://personalization@127.0.0.1:{seedPort}"]) }));
        var host = builder.Build();
        _hosts.Add(host);
        await host.StartAsync();
        return host.Services.GetRequiredService<ActorSystem>();
    }

    [Fact]
    public void Without_a_certificate_remoting_runs_without_TLS()
    {
        var options = RemotingHosting.RemoteOptionsFor(new NodeOptions.ClusterOptions(), 4053, "pod-0");

        Assert.NotEqual(true, options.EnableSsl);
    }

    [Fact]
    public void With_TLS_seed_nodes_are_addressed_over_akka_ssl_tcp()
    {
        var tls = new NodeOptions.ClusterOptions { Tls = new() { CertificatePath = "/etc/personalization/node.pfx" } };

        Assert.Equal(["akka.ssl.tcp://personalization@pod-0:4053"], RemotingHosting.SeedNodesFor(tls, ["akka.tcp://personalization@pod-0:4053"]));
        Assert.Equal(["akka.tcp://personalization@pod-0:4053"], RemotingHosting.SeedNodesFor(new NodeOptions.ClusterOptions(), ["akka.tcp://personalization@pod-0:4053"]));
    }

    [Fact]
    public void A_certificate_that_cannot_be_read_is_refused_with_a_sentence()
    {
        var missing = new NodeOptions.ClusterOptions { Tls = new() { CertificatePath = Path.Combine(_folder, "none.pfx") } };

        var error = Assert.Throws<InvalidOperationException>(() => RemotingHosting.RemoteOptionsFor(missing, 4053, "pod-0"));

        Assert.Contains("does not exist", error.Message);
    }

    [Fact]
    public async Task Nodes_with_TLS_form_a_cluster_and_a_node_without_it_cannot_join()
    {
        var tls = new NodeOptions.RemotingTlsOptions { CertificatePath = CertificateFile(), CertificatePassword = "secret", SuppressValidation = true };
        var (seedPort, secondPort, plainPort) = (FreePorts.Next(), FreePorts.Next(), FreePorts.Next());
        var seed = await StartNodeAsync(tls, seedPort, seedPort);
        var second = await StartNodeAsync(tls, secondPort, seedPort);

        await Eventually.AssertAsync(() =>
        {
            Assert.Equal(2, Akka.Cluster.Cluster.Get(seed).State.Members.Count(m => m.Status == MemberStatus.Up));
            return Task.CompletedTask;
        }, TimeSpan.FromSeconds(30));

        var plain = await StartNodeAsync(new NodeOptions.RemotingTlsOptions(), plainPort, seedPort);
        await Task.Delay(TimeSpan.FromSeconds(5)); // the join attempt's window: a negative can only be waited out
        Assert.DoesNotContain(Akka.Cluster.Cluster.Get(seed).State.Members, m => m.Address.Port == plainPort);
        Assert.NotEqual(MemberStatus.Up, Akka.Cluster.Cluster.Get(plain).SelfMember.Status);
        Assert.Equal(MemberStatus.Up, Akka.Cluster.Cluster.Get(second).SelfMember.Status);
    }

    public void Dispose()
    {
        foreach (var host in _hosts)
        {
            host.StopAsync().WaitAsync(TimeSpan.FromSeconds(20)).GetAwaiter().GetResult();
            host.Dispose();
        }

        Directory.Delete(_folder, recursive: true);
    }
}
