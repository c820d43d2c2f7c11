using System.Net;
using System.Text;
using Personalization.Tests.Infrastructure;
using Xunit;

namespace Personalization.Tests.Http;

/// <summary>Client mistakes are 4xx problems (RFC 9457) with a sentence; none is a 5xx.</summary>
public sealed class HttpProblemTests(HttpNodeFixture fixture) : IClassFixture<HttpNodeFixture>
{
    private HttpClient Http => fixture.Node.Http;

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static ByteArrayContent Bytes(byte[] body) => new(body) { Headers = { ContentType = new("application/json") } };

    [Theory]
    [InlineData(new byte[] { 0xFF }, "not valid UTF-8: byte 0xFF")]
    [InlineData(new byte[] { (byte)'\\', (byte)'u', (byte)'D', (byte)'8', (byte)'0', (byte)'0' }, "\"user\" has an unpaired UTF-16 surrogate escape")]
    public async Task A_body_the_old_decoder_threw_on_is_a_400_naming_the_problem(byte[] inUser, string reason)
    {
        byte[] body = [.. "{\"user\":\"u"u8, .. inUser, .. "\",\"item\":\"i\",\"type\":\"play\"}"u8];
        var response = await Http.PostAsync("/events", Bytes(body));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.StartsWith(reason, await Problems.DetailAsync(response));
    }

    [Fact]
    public async Task An_unknown_route_is_a_404_problem_naming_it()
    {
        var response = await Http.GetAsync("/nothing/here");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("no endpoint at GET /nothing/here; the endpoints are listed in README's HTTP API section", await Problems.DetailAsync(response));
    }

    [Fact]
    public async Task A_wrong_method_is_a_405_problem()
    {
        var response = await Http.DeleteAsync("/events");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal("DELETE is not allowed on /events", await Problems.DetailAsync(response));
    }

    [Fact]
    public async Task A_body_over_the_limit_is_a_413_problem()
    {
        // Expect: 100-continue, as a client sending megabytes should: the node refuses on Content-Length alone, and
        // the client learns it before sending the body (otherwise Kestrel closes the connection under its writes).
        // A chunked body meets Kestrel's MaxRequestBodySize, the same limit, through the exception handler.
        var limit = fixture.Node.Options.Http.MaxEventsBodyBytes;
        var request = new HttpRequestMessage(HttpMethod.Post, "/events") { Content = Bytes(new byte[limit + 1]), Headers = { ExpectContinue = true } };
        var response = await Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal($"body larger than {limit} bytes: send fewer events per request", await Problems.DetailAsync(response));
    }

    [Theory]
    [InlineData("a%01b", "user id contains a control character")]
    [InlineData("a%0Ab", "user id contains a control character")]
    [InlineData("%20%20", "user id is empty")]
    public async Task A_path_user_id_that_is_not_an_id_is_a_400_problem(string id, string reason)
    {
        var response = await Http.GetAsync($"/users/{id}/session");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.StartsWith(reason, await Problems.DetailAsync(response));
    }

    [Fact]
    public async Task A_NUL_in_the_path_is_refused_by_Kestrel_before_the_app()
    {
        var response = await Http.GetAsync("/users/%00/session");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task A_path_user_id_longer_than_256_characters_is_a_400_problem()
    {
        var response = await Http.GetAsync($"/users/{new string('x', 257)}/recommendations");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.StartsWith("user id is longer than 256 characters", await Problems.DetailAsync(response));
    }

    [Fact]
    public async Task Percent_encoded_invalid_UTF_8_in_a_path_id_is_not_a_5xx()
    {
        // Kestrel keeps an undecodable %FF as the text "%FF": a valid, if odd, id.
        var response = await Http.GetAsync("/users/%FF%C0%AF/session");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_typed_admin_body_that_is_not_its_JSON_is_a_400_problem_naming_the_parameter()
    {
        var response = await Http.PostAsync("/admin/model/load", Json("{\"path\":"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("request", await Problems.DetailAsync(response));
    }

    [Fact]
    public async Task Headers_past_Kestrels_limit_are_refused_with_431()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/healthz/live");
        request.Headers.TryAddWithoutValidation("X-Big", new string('h', fixture.Node.Options.Http.MaxRequestHeadersBytes + 1));
        var response = await Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, response.StatusCode);
    }
}
