using System.Security.Cryptography.X509Certificates;
using Akka.Remote.Hosting;

namespace Personalization.Node.Hosting;

/// <summary>
/// Akka remoting of a node: bound to <see cref="NodeOptions.ClusterOptions.Hostname"/> (a pod's IP in Kubernetes, not
/// 0.0.0.0), reachable at the public host name, and with TLS when a certificate is configured
/// (<see cref="NodeOptions.RemotingTlsOptions"/>): then every node must present a certificate the others trust.
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
    /// Seed node addresses in the scheme remoting speaks: with TLS the protocol is <c>akka.ssl.tcp</c>, so seeds given
    /// as <c>akka.tcp://…</c> (as the manifests and local-cluster write them) are rewritten rather than left unreachable.
    /// </summary>
    public static string[] SeedNodesFor(NodeOptions.ClusterOptions cluster, IEnumerable<string> seeds) =>
        string.IsNullOrWhiteSpace(cluster.Tls.CertificatePath)
            ? [.. seeds]
            : [.. seeds.Select(s => s.StartsWith("akka.tcp://", StringComparison.Ordinal) ? "akka.ssl.tcp://" + s["akka.tcp://".Length..] : s)];

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
