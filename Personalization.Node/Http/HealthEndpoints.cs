using Personalization.Node.Hosting;

namespace Personalization.Node.Http;

/// <summary>Liveness = the process answers; readiness = joined the cluster, model loaded, consuming (if it should).</summary>
public static class HealthEndpoints
{
    public static void MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz/live", () => Results.Json(new HealthDto("live", new Dictionary<string, string>()), ApiJsonContext.Default.HealthDto));
        app.MapGet("/healthz/ready", (IServiceProvider services) =>
        {
            var (ready, checks) = NodeReadiness.Evaluate(services);
            return Results.Json(new HealthDto(ready ? "ready" : "not ready", checks), ApiJsonContext.Default.HealthDto, statusCode: ready ? 200 : 503);
        });
    }
}
