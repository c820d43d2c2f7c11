using Personalization.Node.Hosting;

namespace Personalization.Node.Http;

/// <summary>
/// Liveness = the process answers and no part says it must be replaced (the actor system terminated, ingest failing
/// for minutes): the body lists only the checks that fail. Readiness = every readiness check passes (HealthHosting):
/// the body lists them all with their detail. Both run on ASP.NET Core's HealthCheckService.
/// </summary>
public static class HealthEndpoints
{
    public static void MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz/live", async (IServiceProvider services, CancellationToken ct) =>
        {
            var (live, all, report) = await HealthHosting.RunAsync(services, HealthHosting.Live, ct);
            var failing = report.Entries.Where(e => e.Value.Status == Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Unhealthy)
                .ToDictionary(e => HealthHosting.ShownName(e.Key), e => all[HealthHosting.ShownName(e.Key)]);
            return Results.Json(new HealthDto(live ? "live" : "not live", failing), ApiJsonContext.Default.HealthDto, statusCode: live ? 200 : 503);
        });
        app.MapGet("/healthz/ready", async (IServiceProvider services, CancellationToken ct) =>
        {
            var (ready, checks) = await NodeReadiness.EvaluateAsync(services, ct);
            return Results.Json(new HealthDto(ready ? "ready" : "not ready", checks), ApiJsonContext.Default.HealthDto, statusCode: ready ? 200 : 503);
        });
    }
}
