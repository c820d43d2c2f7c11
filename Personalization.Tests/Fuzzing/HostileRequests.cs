using System.Text;
using CsCheck;
using Personalization.Tests.Infrastructure;

namespace Personalization.Tests.Fuzzing;

/// <summary>One HTTP request as the fuzz test sends it: everything a client controls, hostile or not.</summary>
public sealed record FuzzRequest(string Method, string PathAndQuery, string? ContentType, byte[]? Body, IReadOnlyList<(string Name, string Value)> Headers)
{
    public override string ToString() =>
        $"{Method} {PathAndQuery} content-type {ContentType ?? "none"} headers [{string.Join("; ", Headers.Select(h => h.Name + ": " + h.Value))}] body {Fuzz.Describe(Body)}";
}

/// <summary>Requests to every route and some that do not exist: path ids percent-encoded (invalid UTF-8, NUL, slashes, long), odd queries, methods, content types, headers and the hostile bodies of <see cref="HostileEvents"/>.</summary>
public static class HostileRequests
{
    private static readonly string[] Methods = ["GET", "GET", "GET", "POST", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"];

    private static readonly string[] Routes =
    [
        "/users/{id}/recommendations", "/users/{id}/recommendations", "/users/{id}/session", "/events", "/events", "/events/",
        "/users/{id}", "/users/{id}/recommendations/x", "/", "/healthz/live", "/healthz/ready", "/cluster/shards",
        "/admin/model", "/admin/model/load", "/admin/cluster", "/admin/sharding/{id}/shard-stats", "/EVENTS", "/users//session",
    ];

    private static readonly string[] Ids =
    [
        "u1", "225", "%FF", "%C0%AF", "%ED%A0%80", "%F4%90%80%80", "%E2%82", "a%2Fb", "%25", "%2e%2e", "..", ".", "%20", "a%20b", "%E2%80%AE",
        "%F0%9F%98%80", "%C3%BC", "~", "a;b", "a,b", "a=b", "%3F", "%23", "%7B%7D", "%5C", "%22", "%27", "%3C%3E", "%0D", "%09",
    ];

    private static readonly string[] Queries =
    [
        "", "", "?k=10", "?k=0", "?k=101", "?k=-1", "?k=abc", "?k=%FF", "?k=1e3", "?k=10&k=20", "?k=99999999999999999999", "?k=",
        "?k", "?k=%00", "?k=5%20", "?%FF=%FF", "?a[]=1", "?k=1.5", "?k=+5", "?k=%2B5", "?" + new string('k', 2000),
    ];

    private static readonly string?[] ContentTypes =
    [
        "application/json", "application/json", "application/json; charset=utf-8", null, "text/plain", "application/problem+json",
        "application/json; charset=utf-16", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded", "*/*", "application/xml",
    ];

    private static readonly string[] HeaderNames = ["Accept", "Accept-Encoding", "Accept-Language", "X-Fuzz", "Cookie", "Origin", "Referer", "If-None-Match", "Range"];

    private static readonly string[] HeaderValues =
    [
        "*/*", "application/json", "text/html;q=0.1", "gzip, br", "bytes=0-5", "bytes=9999999999-", "\"etag\"", "a=b; c=d",
        "null", "%FF", "  ", "x", new string('v', 4000), "application/problem+json;q=1",
    ];

    public static readonly Gen<FuzzRequest> Request = new Generated(pcg =>
    {
        var route = Routes[Pick(pcg, Routes.Length)];
        var id = Pick(pcg, 8) switch
        {
            0 => new string('x', 250 + Pick(pcg, 20)),
            1 => string.Concat(Enumerable.Range(0, 1 + Pick(pcg, 4)).Select(_ => Ids[Pick(pcg, Ids.Length)])),
            2 => $"%{Pick(pcg, 256):X2}",
            _ => Ids[Pick(pcg, Ids.Length)],
        };
        var path = route.Replace("{id}", id) + Queries[Pick(pcg, Queries.Length)];
        // Mostly the route's own method, so most requests get past routing to the endpoints' own checks.
        var method = Pick(pcg, 4) == 0 ? Methods[Pick(pcg, Methods.Length)]
            : route.StartsWith("/events", StringComparison.OrdinalIgnoreCase) || route == "/admin/model/load" ? "POST" : "GET";
        byte[]? body = method is "POST" or "PUT" or "PATCH" ? Pick(pcg, 8) switch
        {
            0 => null,
            1 => Encoding.UTF8.GetBytes("{\"path\":\"" + id + "\"}"),
            _ => HostileEvents.HttpBody.Generate(pcg, null, out _),
        } : null;
        var headers = new List<(string, string)>();
        for (var n = Pick(pcg, 3); n > 0; n--) headers.Add((HeaderNames[Pick(pcg, HeaderNames.Length)], HeaderValues[Pick(pcg, HeaderValues.Length)]));
        return new FuzzRequest(method, path, body is null ? null : ContentTypes[Pick(pcg, ContentTypes.Length)], body, headers);
    });

    private static int Pick(PCG pcg, int n) => (int)pcg.Next((uint)n);

    private sealed class Generated(Func<PCG, FuzzRequest> generate) : Gen<FuzzRequest>
    {
        public override FuzzRequest Generate(PCG pcg, Size? min, out Size size)
        {
            size = new Size(0);
            return generate(pcg);
        }
    }
}
