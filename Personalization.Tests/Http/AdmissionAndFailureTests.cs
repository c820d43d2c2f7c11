using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Personalization.Node.Hosting;
using Personalization.Node.Http;
using Personalization.Tests.Engine;
using Personalization.Tests.Infrastructure;
using Xunit;

namespace Personalization.Tests.Http;

/// <summary>Overload is a 429 with Retry-After at once; a bug is a 500 problem with a trace id and nothing of the exception.</summary>
public sealed class AdmissionAndFailureTests(EmbeddedKafkaFixture kafka) : IClassFixture<EmbeddedKafkaFixture>
{
    private const string Event = """{"user":"held","item":"1","type":"play"}""";

    private async Task<TestNode> StartAsync(ScriptedPublisher publisher, Action<NodeOptions.HttpOptions>? limits = null)
    {
        var options = TestNode.CreateOptions(kafka.BootstrapServers, kafka.NewTopic(1), 1, "sqlite", EngineTestContext.SqliteConnectionString());
        limits?.Invoke(options.Http);
        return await TestNode.StartAsync(options, builder => builder.Services.AddSingleton<IEventPublisher>(publisher));
    }

    [Fact]
    public async Task A_request_past_the_concurrency_limit_is_refused_with_429_and_Retry_After_while_the_admitted_one_completes()
    {
        var publisher = new ScriptedPublisher { Hold = true };
        await using var node = await StartAsync(publisher, http =>
        {
            http.MaxConcurrentRequests = 1;
            http.RequestQueueLimit = 0;
            http.RetryAfterSeconds = 2;
        });

        var held = node.Http.PostAsync("/events", new StringContent(Event, Encoding.UTF8, "application/json"));
        await publisher.Entered.WaitAsync(TimeSpan.FromSeconds(30));

        var refused = await node.Http.GetAsync("/users/other/recommendations");
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(2), refused.Headers.RetryAfter?.Delta);
        Assert.Contains("retry after 2 s", await Problems.DetailAsync(refused));
        Assert.Equal(HttpStatusCode.OK, (await node.Http.GetAsync("/healthz/live")).StatusCode); // probes are not admitted work

        publisher.Release();
        Assert.Equal(HttpStatusCode.Accepted, (await held).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await node.Http.GetAsync("/users/other/recommendations")).StatusCode);
    }

    [Fact]
    public async Task An_unexpected_exception_is_a_500_problem_with_a_trace_id_and_no_exception_text()
    {
        await using var node = await StartAsync(new ScriptedPublisher { FailUnexpectedly = true });

        var response = await node.Http.PostAsync("/events", new StringContent(Event, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var detail = await Problems.DetailAsync(response);
        Assert.StartsWith("internal error: a bug of the node, logged under trace id ", detail);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("\"traceId\"", body);
        Assert.DoesNotContain("secret internal detail", body);
        Assert.DoesNotContain("OperationCanceledException", body);
        Assert.DoesNotContain(" at ", body);
    }

    [Fact]
    public void Limits_out_of_range_are_refused_naming_the_setting()
    {
        var options = new NodeOptions();
        options.Http.MaxConcurrentRequests = 0;
        Assert.StartsWith("Http:MaxConcurrentRequests:", NodeConfiguration.Validate(options));
    }
}
