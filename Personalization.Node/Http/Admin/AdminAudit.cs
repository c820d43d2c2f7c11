using System.Security.Cryptography;
using System.Text;
using Personalization.Node.Hosting;

namespace Personalization.Node.Http.Admin;

/// <summary>
/// The audit trail of what changes a node or the cluster (<c>cluster leave|down|join</c>, <c>model load</c>,
/// <c>dlq replay</c>): one log line per command, category <see cref="Category"/>, at Warning so it survives a
/// production log level, with who and when. Who is two things: the operator the console names (its OS user and host,
/// header <see cref="OperatorHeader"/>; a claim, written down as such) and the credential the node checked — the
/// console token's fingerprint (the first 12 hex digits of its SHA-256, never the token) or "loopback" when the node
/// has no token. When is the node's UTC clock.
/// </summary>
public sealed class AdminAudit(ILoggerFactory logs, NodeOptions options)
{
    public const string Category = "Personalization.Audit";
    public const string OperatorHeader = "X-Console-Operator";

    private readonly ILogger _log = logs.CreateLogger(Category);
    private readonly string _credential = Credential(options.Console.Token);

    /// <summary>Writes the audit line of <paramref name="action"/> on <paramref name="target"/> and what came of it.</summary>
    public void Record(HttpContext http, string action, string target, string outcome)
    {
        var claimed = http.Request.Headers[OperatorHeader].ToString();
        var who = claimed.Length == 0 ? "(not named)" : Printable(claimed);
        _log.LogWarning(
            "Audit: {Action} {Target} by {Operator} ({Credential}) from {Remote} at {Time}: {Outcome}",
            action, Printable(target), who, _credential, http.Connection.RemoteIpAddress?.ToString() ?? "?",
            DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture), outcome);
    }

    /// <summary>The credential as the audit names it: the token's fingerprint, or loopback when the node has none.</summary>
    public static string Credential(string? token)
    {
        var trimmed = token?.Trim();
        if (string.IsNullOrEmpty(trimmed)) return "loopback, no console token";
        return "console token sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(trimmed)))[..12];
    }

    // A header or a path is the client's text: bounded and without control characters in the log.
    private static string Printable(string text)
    {
        var builder = new StringBuilder(Math.Min(text.Length, 200));
        foreach (var c in text.Length > 200 ? text[..200] : text) builder.Append(char.IsControl(c) ? '?' : c);
        return builder.ToString();
    }
}
