using Personalization.Node.Hosting;

namespace Personalization.Node.Http;

/// <summary>
/// Liveness = the process answers and no part says it must be replaced (e.g. ingest failing for minutes); readiness =
/// joined the cluster, model loaded, consuming (if it should).
/// </summary>
public static class HealthEndpoints
{
    public static void MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz/live", (IServiceProvider services) =>
        {
            var checks = new Dictionary<string, string>();
            var live = true;
            foreach (var check in services.GetServices<ILivenessCheck>())
            {
                var (ok, detail) = check.Check();
                if (ok) continue;
                checks[check.Name] = detail;
                live = false;
            }

            return Results.Json(new HealthDto(live ? "live" : "not live", checks), ApiJsonContext.Default.HealthDto, statusCode: live ? 200 : 503);
        });
        app.MapGet("/healthz/ready", (IServiceProvider services) =>
        {
            var (ready, checks) = NodeReadiness.Evaluate(services);
            return Results.Json(new HealthDto(ready ? "ready" : "not ready", checks), ApiJsonContext.Default.HealthDto, statusCode: ready ? 200 : 503);
        });
    }
}
