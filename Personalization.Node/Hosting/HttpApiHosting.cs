using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Mvc;
using Personalization.Node.Http;

namespace Personalization.Node.Hosting;

/// <summary>
/// What stands between the network and the endpoints: Kestrel's size limits, problem details for every error, the
/// exception handler, and admission control (ASP.NET Core's rate limiter, a concurrency limit with a small queue) on
/// the public endpoints so overload answers 429 at once instead of queueing for seconds.
/// </summary>
public static class HttpApiHosting
{
    /// <summary>The rate-limiting policy of the public endpoints (users, events). Health, metrics and admin stay outside it: probes and operators must get through an overload.</summary>
    public const string PublicPolicy = "public";

    public static WebApplicationBuilder AddHttpApi(this WebApplicationBuilder builder, NodeOptions options)
    {
        var http = options.Http;
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = http.MaxEventsBodyBytes; // the largest body any endpoint takes
            kestrel.Limits.MaxRequestLineSize = http.MaxRequestLineBytes;
            kestrel.Limits.MaxRequestHeadersTotalSize = http.MaxRequestHeadersBytes;
        });
        builder.Services.AddSingleton(new LastAnswers());
        builder.Services.AddSingleton<IProblemDetailsWriter, ProblemJsonWriter>(); // before AddProblemDetails: it comes first
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<HttpExceptionHandler>();
        // A typed body that is not JSON of its type throws BadHttpRequestException (then a 400 problem naming the
        // parameter) instead of an empty 400.
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.AddConcurrencyLimiter(PublicPolicy, c =>
            {
                c.PermitLimit = http.MaxConcurrentRequests;
                c.QueueLimit = http.RequestQueueLimit;
                c.QueueProcessingOrder = QueueProcessingOrder.OldestFirst;
            });
            limiter.OnRejected = async (rejected, ct) =>
            {
                var context = rejected.HttpContext;
                context.Response.Headers.RetryAfter = http.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
                await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = context,
                    ProblemDetails = new ProblemDetails
                    {
                        Status = StatusCodes.Status429TooManyRequests,
                        Detail = $"the node is serving {http.MaxConcurrentRequests} requests and {http.RequestQueueLimit} more wait; retry after {http.RetryAfterSeconds} s",
                    },
                });
            };
        });
        return builder;
    }

    /// <summary>The error middleware, outermost first: exceptions → problems; empty 4xx/5xx (404, 405) → problems; admission control.</summary>
    public static WebApplication UseHttpApi(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseRateLimiter();
        return app;
    }
}
