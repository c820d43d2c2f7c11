using Microsoft.AspNetCore.Mvc;
using Personalization.Actors.Events;

namespace Personalization.Node.Http;

/// <summary>
/// Every error of the HTTP API is an RFC 9457 problem (<c>application/problem+json</c>, through ASP.NET Core's
/// <see cref="IProblemDetailsService"/> and our <see cref="ProblemJsonWriter"/>): <c>status</c>, <c>title</c>, <c>detail</c> (a sentence naming what is
/// wrong), <c>traceId</c>, and <c>error</c> = the detail again, the member clients and the console read before.
/// </summary>
public static class ApiProblems
{
    public const string ErrorMember = "error";

    public static IResult Problem(int status, string detail) => Results.Problem(detail: ReasonText.Bounded(detail), statusCode: status);

    /// <summary>
    /// Applied to every problem, ours and the framework's (404, 405, 415, 429, 500): problems the framework writes
    /// without a detail get a sentence for their status, and all get the <c>error</c> member.
    /// </summary>
    public static void Customize(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        var request = context.HttpContext.Request;
        problem.Detail ??= problem.Status switch
        {
            StatusCodes.Status404NotFound => $"no endpoint at {request.Method} {Path(request)}; the endpoints are listed in README's HTTP API section",
            StatusCodes.Status405MethodNotAllowed => $"{request.Method} is not allowed on {Path(request)}",
            StatusCodes.Status415UnsupportedMediaType => $"content type \"{ReasonText.Quote(request.ContentType ?? "")}\" is not accepted here",
            _ => problem.Title,
        };
        problem.Extensions[ErrorMember] = problem.Detail;
    }

    private static string Path(HttpRequest request) => ReasonText.Quote(request.Path.ToString(), 120);
}
