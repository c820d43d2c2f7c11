using Personalization.Actors.Filters;

namespace Personalization.Node.Http.Filters;

public static class RequestFilterQuery
{
    /// <summary>
    /// The <see cref="ItemFilter"/> of a request's <c>exclude</c> and <c>include</c> query parameters (each may be
    /// repeated; <see cref="RequestFilterSyntax"/>), or the sentence of a 400 saying why they are refused.
    /// </summary>
    public static string? ForRequest(this BusinessFilters filters, HttpRequest request, out ItemFilter filter) =>
        filters.ForRequest(request.Query[RequestFilterSyntax.ExcludeParameter], request.Query[RequestFilterSyntax.IncludeParameter], out filter);
}
