namespace Personalization.Node.Http.Admin;

/// <summary>
/// With an admin port of its own (<c>Http:AdminPort</c>), the admin API answers only on that listener: a request that
/// reached the public port gets 404, whatever its Host header says (the socket's local port decides, which a client
/// cannot forge). The public listener is what the client Service exposes; operators reach the admin port directly.
/// </summary>
public sealed class AdminListenerFilter(int adminPort) : IEndpointFilter
{
    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (adminPort <= 0 || context.HttpContext.Connection.LocalPort == adminPort) return next(context);
        return ValueTask.FromResult<object?>(AdminEndpoints.Error(StatusCodes.Status404NotFound,
            "the admin API is not served on this port: it has a listener of its own (Personalization:Http:AdminPort)"));
    }
}
