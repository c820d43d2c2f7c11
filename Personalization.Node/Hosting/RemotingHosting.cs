using System.Security.Cryptography.X509Certificates;
using Akka.Remote.Hosting;

namespace Personalization.Node.Hosting;

/// <summary>
/// Akka remoting of a node: bound to <see cref="NodeOptions.ClusterOptions.Hostname"/> (a pod's IP in Kubernetes, not
/// 0.0.0.0), reachable at the public host name, and with TLS when a certificate is configured
/// (<see cref="NodeOptions.RemotingTlsOptions"/>): then every node must present a certificate the others trust. For the
/// fault suite only, through the throttler adapter that can cut it (<see cref="NetworkFaultHocon"/>).
/// </summary>
public static class RemotingHosting
{
    public static RemoteOptions RemoteOptionsFor(NodeOptions.ClusterOptions cluster, int port, string publicHost)
    {
        var remote = new RemoteOptions { HostName = cluster.Hostname, Port = port, PublicHostName = publicHost };
        var tls = cluster.Tls;
        if (string.IsNullOrWhiteSpace(tls.CertificatePath)) return remote;
        remote.EnableSsl = true;
        remote.Ssl = new SslOptions
        {
            X509Certificate = LoadCertificate(tls),
            SuppressValidation = tls.SuppressValidation,
            RequireMutualAuthentication = tls.RequireMutualAuthentication,
            ValidateCertificateHostname = tls.ValidateHostname,
        };
        return remote;
    }

    /// <summary>
    /// The address scheme remoting speaks: <c>akka.tcp</c>; <c>akka.ssl.tcp</c> with TLS; with
    /// <see cref="NodeOptions.ClusterOptions.NetworkFaultInjection"/> the throttler adapter's <c>trttl.</c> in front of
    /// the transport's (<c>akka.trttl.tcp</c>, <c>akka.trttl.ssl.tcp</c>).
    /// </summary>
    public static string Protocol(NodeOptions.ClusterOptions cluster) =>
        "akka." + (cluster.NetworkFaultInjection ? "trttl." : "") + (string.IsNullOrWhiteSpace(cluster.Tls.CertificatePath) ? "" : "ssl.") + "tcp";

    /// <summary>
    /// Seed node addresses in the scheme remoting speaks (<see cref="Protocol"/>): seeds given as <c>akka.tcp://…</c> (as
    /// the manifests and local-cluster write them) are rewritten rather than left unreachable.
    /// </summary>
    public static string[] SeedNodesFor(NodeOptions.ClusterOptions cluster, IEnumerable<string> seeds)
    {
        const string written = "akka.tcp://";
        var scheme = Protocol(cluster) + "://";
        return [.. seeds.Select(s => s.StartsWith(written, StringComparison.Ordinal) ? scheme + s[written.Length..] : s)];
    }

    /// <summary>
    /// Test only (<see cref="NodeOptions.ClusterOptions.NetworkFaultInjection"/>): the throttler transport adapter
    /// ("trttl", part of Akka.Remote) wrapped around the TCP transport, so that <c>SetThrottle(peer, Both, Blackhole)</c>
    /// drops every message between this node and the peer in both directions, while the TCP connection, the
    /// processes and the loopback interface stay as they are. Empty when off: production remoting is untouched.
    /// </summary>
    public static string NetworkFaultHocon(NodeOptions.ClusterOptions cluster) =>
        cluster.NetworkFaultInjection ? "akka.remote.dot-netty.tcp.applied-adapters = [trttl]" : "";

    private static X509Certificate2 LoadCertificate(NodeOptions.RemotingTlsOptions tls)
    {
        if (!File.Exists(tls.CertificatePath))
            throw new InvalidOperationException($"remoting TLS: certificate file \"{tls.CertificatePath}\" does not exist (Personalization:Cluster:Tls:CertificatePath)");
        try
        {
            return X509CertificateLoader.LoadPkcs12FromFile(tls.CertificatePath, string.IsNullOrEmpty(tls.CertificatePassword) ? null : tls.CertificatePassword);
        }
        catch (System.Security.Cryptography.CryptographicException e)
        {
            throw new InvalidOperationException($"remoting TLS: cannot read \"{tls.CertificatePath}\" as a PKCS#12 file with the configured password: {e.Message}", e);
        }
    }
}
