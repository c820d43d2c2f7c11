using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Personalization.Node.Http;

/// <summary>
/// The last line of the HTTP API (<c>UseExceptionHandler</c>): an exception Kestrel or parameter binding raises about
/// the request (<see cref="BadHttpRequestException"/>: body too large, malformed JSON for a typed body, wrong content
/// type) is the client's 4xx with the framework's sentence; anything else is our bug: 500 with the trace id under
/// which it is logged here, and never the exception's text or stack.
/// </summary>
internal sealed class HttpExceptionHandler(IProblemDetailsService problems, ILogger<HttpExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (context.RequestAborted.IsCancellationRequested) return true; // the client left: nobody to answer
        var traceId = System.Diagnostics.Activity.Current?.Id ?? context.TraceIdentifier;
        ProblemDetails problem;
        if (exception is BadHttpRequestException bad && bad.StatusCode is >= 400 and < 500)
        {
            problem = new ProblemDetails { Status = bad.StatusCode, Detail = bad.Message };
        }
        else
        {
            logger.LogError(exception, "HTTP {Method} {Path} failed (trace id {TraceId})", context.Request.Method, context.Request.Path, traceId);
            problem = new ProblemDetails
            {
                Status = StatusCodes.Status500InternalServerError,
                Detail = $"internal error: a bug of the node, logged under trace id {traceId}",
            };
        }

        context.Response.StatusCode = problem.Status.Value;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem, Exception = exception });
    }
}
