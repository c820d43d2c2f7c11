using System.Reflection;
using Akka.Actor;
using Akka.Cluster;
using Personalization.Node.Hosting;

namespace Personalization.Node.Http.Dashboard;

/// <summary>
/// The operator page: <c>GET /dashboard</c> is one self-contained HTML page (its script and styles inline, nothing
/// fetched from elsewhere — operators' browsers may have no internet either; a Content-Security-Policy that allows
/// only this node), which polls <c>GET /dashboard/data</c> every 2 s. Served where <c>/metrics</c> is, with the same
/// exposure: aggregates of the registry, no user data.
/// </summary>
public static class DashboardEndpoints
{
    private const string Policy = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; frame-ancestors 'none'";
    private static readonly Lazy<byte[]> Page = new(() =>
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("Personalization.Node.Http.Dashboard.dashboard.html")
                           ?? throw new InvalidOperationException("the dashboard page is not embedded in the assembly");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    });

    public static void MapDashboardEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/dashboard", (HttpContext http) =>
        {
            http.Response.Headers.ContentSecurityPolicy = Policy;
            http.Response.Headers.CacheControl = "no-cache";
            return Results.Bytes(Page.Value, "text/html; charset=utf-8");
        });

        app.MapGet("/dashboard/data", async (ActorSystem system, ModelLoader models, IServiceProvider services, CancellationToken ct) =>
            Results.Json(await SnapshotAsync(system, models, services, ct), DashboardJsonContext.Default.DashboardDto));

        // What the node sampled over the last minutes, oldest first: a page opened now draws its charts and rates at once.
        app.MapGet("/dashboard/history", (DashboardHistory history) =>
            Results.Json(history.Samples(), DashboardJsonContext.Default.IReadOnlyListDashboardDto));
    }

    internal static async Task<DashboardDto> SnapshotAsync(ActorSystem system, ModelLoader models, IServiceProvider services, CancellationToken ct)
    {
        var samples = await PrometheusText.CollectAsync(Prometheus.Metrics.DefaultRegistry, ct);
        var cluster = Cluster.Get(system);
        var state = cluster.State;
        var model = models.Registry.Current;
        var positions = services.GetService<KafkaIngestService>()?.Control?.Status()?.Partitions
            .Select(p => (p.Partition, p.Committable, p.Committed)).ToArray() ?? [];
        return DashboardData.Build(
            samples, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), cluster.SelfAddress.ToString(), model.Name, model.Version,
            new DashboardClusterDto(state.Members.Count, state.Members.Count(m => m.Status == MemberStatus.Up), state.Unreachable.Count, state.Leader?.ToString()),
            positions);
    }
}
