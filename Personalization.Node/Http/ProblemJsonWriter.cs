using System.Diagnostics;
using Microsoft.AspNetCore.WebUtilities;

namespace Personalization.Node.Http;

/// <summary>
/// Writes every problem as <c>application/problem+json</c>, whatever the request's Accept header. ASP.NET Core's
/// default writer negotiates: a client that sends <c>Accept: text/html</c> would get a bare text/plain status page
/// instead, with no reason in it. Registered ahead of the default writer, so it is the one used.
/// </summary>
internal sealed class ProblemJsonWriter : IProblemDetailsWriter
{
    public bool CanWrite(ProblemDetailsContext context) => true;

    public ValueTask WriteAsync(ProblemDetailsContext context)
    {
        var http = context.HttpContext;
        var problem = context.ProblemDetails;
        problem.Status ??= http.Response.StatusCode;
        problem.Title ??= ReasonPhrases.GetReasonPhrase(problem.Status.Value);
        problem.Extensions.TryAdd("traceId", Activity.Current?.Id ?? http.TraceIdentifier);
        ApiProblems.Customize(context);
        return new ValueTask(http.Response.WriteAsJsonAsync(problem, options: null, contentType: "application/problem+json", http.RequestAborted));
    }
}
