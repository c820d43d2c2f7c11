using System.Net;
using Personalization.Node.Http.Admin;
using Xunit;

namespace Personalization.Tests.OperatorConsole;

/// <summary>Who the admin API lets in: every case of <see cref="ConsoleAccess"/>.</summary>
public sealed class ConsoleAccessTests
{
    private static readonly IPAddress Remote = IPAddress.Parse("10.1.2.3");

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    [InlineData("::ffff:127.0.0.1")]
    public void Without_a_token_loopback_callers_are_let_in(string address)
    {
        Assert.Null(new ConsoleAccess("").Check(IPAddress.Parse(address), null));
    }

    [Theory]
    [InlineData("10.1.2.3")]
    [InlineData("::ffff:10.1.2.3")]
    [InlineData("fe80::1")]
    public void Without_a_token_network_callers_are_refused_with_the_reason(string address)
    {
        var refusal = new ConsoleAccess("  ").Check(IPAddress.Parse(address), "Bearer anything");

        Assert.Equal(403, refusal?.Status);
        Assert.Contains("answers only requests from loopback", refusal?.Message);
    }

    [Fact]
    public void Without_a_token_an_unknown_caller_is_refused()
    {
        Assert.Equal(403, new ConsoleAccess(null).Check(null, null)?.Status);
    }

    [Theory]
    [InlineData(null, "needs 'Authorization: Bearer <console token>'")]
    [InlineData("", "needs 'Authorization: Bearer <console token>'")]
    [InlineData("Basic b3A6czNjcmV0", "accepts only a bearer token")]
    [InlineData("Bearer wrong", "the console token is wrong")]
    [InlineData("Bearer s3cret-", "the console token is wrong")]
    [InlineData("Bearer s3cre", "the console token is wrong")]
    [InlineData("Bearer ", "the console token is wrong")]
    public void With_a_token_a_request_without_it_is_unauthorized_even_from_loopback(string? authorization, string reason)
    {
        var access = new ConsoleAccess("s3cret");

        var refusal = access.Check(IPAddress.Loopback, authorization);

        Assert.Equal(401, refusal?.Status);
        Assert.Contains(reason, refusal?.Message);
    }

    [Theory]
    [InlineData("Bearer s3cret")]
    [InlineData("bearer s3cret")]
    [InlineData("Bearer  s3cret ")]
    public void With_the_right_token_any_caller_is_let_in(string authorization)
    {
        Assert.Null(new ConsoleAccess("s3cret\n").Check(Remote, authorization));
    }
}
