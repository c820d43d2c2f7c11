using Personalization.Node.Hosting;

namespace Personalization.Node.Http.Admin;

/// <summary>
/// The operator console's API. Everything lives under /admin so one rule (an ingress path, a NetworkPolicy, a proxy)
/// can keep it off the public surface; <see cref="ConsoleAccess"/> guards every endpoint of the group.
/// </summary>
public static class AdminEndpoints
{
    public const string Prefix = "/admin";

    public static void MapAdminEndpoints(this IEndpointRouteBuilder app)
    {
        var options = app.ServiceProvider.GetRequiredService<NodeOptions>();
        var admin = app.MapGroup(Prefix)
            .AddEndpointFilter(new AdminListenerFilter(options.Http.AdminPort))
            .AddEndpointFilter(new ConsoleAccessFilter(new ConsoleAccess(options.Console.Token)));
        var audit = new AdminAudit(app.ServiceProvider.GetRequiredService<ILoggerFactory>(), options);
        admin.MapAdminClusterEndpoints(audit);
        admin.MapAdminClusterEventsEndpoints();
        admin.MapAdminShardingEndpoints();
        admin.MapAdminModelEndpoints(audit);
        admin.MapAdminIngestEndpoints();
        admin.MapAdminUserEndpoints();
        admin.MapAdminDlqEndpoints(audit);
        admin.MapAdminItemEndpoints(audit);
        admin.MapAdminExperimentEndpoints(audit);
        if (options.Cluster.NetworkFaultInjection) admin.MapAdminNetworkFaultEndpoints(); // test only, off by default
    }

    internal static IResult Error(int status, string message) => ApiProblems.Problem(status, message);
}
