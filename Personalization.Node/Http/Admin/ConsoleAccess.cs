using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace Personalization.Node.Http.Admin;

/// <summary>
/// Who may use the admin API. With a console token every request must carry <c>Authorization: Bearer &lt;token&gt;</c>;
/// without one only loopback callers are let in, so a node nobody configured cannot be steered from the network.
/// Pure (no HTTP types) so every case is unit-tested.
/// </summary>
public sealed class ConsoleAccess
{
    private const string Scheme = "Bearer ";

    // Both sides are hashed before the fixed-time comparison, so neither the content nor the length of the
    // configured token leaks through response timing.
    private readonly byte[]? _tokenHash;

    /// <param name="token">The configured token; surrounding whitespace is ignored (secrets written from files often end in a newline).</param>
    public ConsoleAccess(string? token)
    {
        var trimmed = token?.Trim();
        _tokenHash = string.IsNullOrEmpty(trimmed) ? null : Hash(trimmed);
    }

    public bool RequiresToken => _tokenHash is not null;

    /// <summary>Null when the request may proceed, else the status code and the sentence to answer with.</summary>
    public (int Status, string Message)? Check(IPAddress? remote, string? authorization)
    {
        if (_tokenHash is null)
        {
            return remote is not null && IPAddress.IsLoopback(remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote)
                ? null
                : (StatusCodes.Status403Forbidden,
                    "this node has no console token (Personalization:Console:Token), so its admin API answers only requests from loopback");
        }

        if (string.IsNullOrWhiteSpace(authorization))
            return (StatusCodes.Status401Unauthorized, "the admin API needs 'Authorization: Bearer <console token>'");
        if (!authorization.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
            return (StatusCodes.Status401Unauthorized, "the admin API accepts only a bearer token ('Authorization: Bearer <console token>')");
        var given = Hash(authorization[Scheme.Length..].Trim());
        return CryptographicOperations.FixedTimeEquals(given, _tokenHash)
            ? null
            : (StatusCodes.Status401Unauthorized, "the console token is wrong");
    }

    private static byte[] Hash(string value) => SHA256.HashData(Encoding.UTF8.GetBytes(value));
}

/// <summary>Applies <see cref="ConsoleAccess"/> to every endpoint of the admin group, read-only and mutating alike.</summary>
internal sealed class ConsoleAccessFilter(ConsoleAccess access) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (access.Check(http.Connection.RemoteIpAddress, http.Request.Headers.Authorization.ToString()) is not { } refusal)
            return await next(context);
        if (refusal.Status == StatusCodes.Status401Unauthorized)
            http.Response.Headers.WWWAuthenticate = "Bearer realm=\"personalization-admin\"";
        return ApiProblems.Problem(refusal.Status, refusal.Message);
    }
}
