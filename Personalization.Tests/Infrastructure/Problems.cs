using System.Text.Json;
using Xunit;

namespace Personalization.Tests.Infrastructure;

/// <summary>Reads an RFC 9457 problem answer, asserting its form: application/problem+json, a detail, and the same sentence as "error".</summary>
public static class Problems
{
    public static async Task<string> DetailAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = body.RootElement;
        Assert.Equal((int)response.StatusCode, root.GetProperty("status").GetInt32());
        var detail = root.GetProperty("detail").GetString();
        Assert.False(string.IsNullOrWhiteSpace(detail));
        Assert.Equal(detail, root.GetProperty("error").GetString());
        return detail!;
    }
}
