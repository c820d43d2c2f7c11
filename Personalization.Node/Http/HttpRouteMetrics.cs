using System.Diagnostics;
using System.Globalization;
using Prometheus;

namespace Personalization.Node.Http;

/// <summary>
/// HTTP latency by route: <c>personalization_http_request_duration_seconds{route, method, code}</c>. The route is the
/// matched endpoint's template (<c>/users/{userId}/recommendations</c>), never the raw path, and the method and code
/// come from small fixed sets, so the label cardinality is bounded by the endpoints the node maps: a request that
/// matches none (404, a hostile path) is <c>route="unmatched"</c>. Outermost middleware: the status is the one the
/// client got (problems, 429s and 500s included). Buckets from 50 µs: a cached recommendation takes ~100 µs.
/// </summary>
public static class HttpRouteMetrics
{
    public const string Unmatched = "unmatched";

    private static readonly Histogram Duration = Metrics.CreateHistogram(
        "personalization_http_request_duration_seconds",
        "HTTP request duration by route template, method and status code.",
        new HistogramConfiguration
        {
            LabelNames = ["route", "method", "code"],
            Buckets = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        });

    private static readonly string[] Codes = Enumerable.Range(0, 600).Select(c => c.ToString(CultureInfo.InvariantCulture)).ToArray();

    public static WebApplication UseHttpRouteMetrics(this WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                await next(context);
            }
            finally
            {
                var status = context.Response.StatusCode;
                Duration
                    .WithLabels(RouteOf(context), MethodOf(context.Request.Method), status is >= 0 and < 600 ? Codes[status] : "other")
                    .Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
            }
        });
        return app;
    }

    /// <summary>The matched endpoint's route template, or <see cref="Unmatched"/>.</summary>
    public static string RouteOf(HttpContext context) =>
        context.GetEndpoint() is RouteEndpoint { RoutePattern.RawText: { Length: > 0 } template } ? Normalize(template) : Unmatched;

    // Group prefixes and templates are written with or without a leading slash ("/admin" + "/ingest").
    private static string Normalize(string template) => template.StartsWith('/') ? template : "/" + template;

    private static string MethodOf(string method) => method switch
    {
        "GET" => "GET",
        "POST" => "POST",
        "PUT" => "PUT",
        "DELETE" => "DELETE",
        "HEAD" => "HEAD",
        "OPTIONS" => "OPTIONS",
        "PATCH" => "PATCH",
        _ => "other",
    };
}
