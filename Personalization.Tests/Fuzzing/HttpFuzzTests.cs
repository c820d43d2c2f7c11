using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using CsCheck;
using Personalization.Node.Http;
using Personalization.Tests.Http;
using Personalization.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Personalization.Tests.Fuzzing;

/// <summary>
/// A real node against thousands of hostile requests (<see cref="HostileRequests"/>, fixed seed; more with
/// <c>PERSONALIZATION_FUZZ_ITERATIONS</c>), with valid events posted in between: no 5xx, every 4xx a problem with a
/// reason, every valid event kept, and the node still answers afterwards.
/// </summary>
public sealed class HttpFuzzTests(HttpNodeFixture fixture, ITestOutputHelper output) : IClassFixture<HttpNodeFixture>
{
    private const ulong Seed = 20_261_201;
    private const int WitnessEvery = 50;

    [Fact]
    public async Task No_request_gets_a_5xx_every_4xx_is_a_problem_and_valid_events_posted_in_between_are_all_kept()
    {
        var http = fixture.Node.Http;
        var iterations = Fuzz.Iterations(3_000);
        var pcg = new PCG(1, Seed);
        var witness = "fuzz-witness-" + Guid.NewGuid().ToString("N")[..8];
        var witnessed = 0;
        var sent = 0;
        var statuses = new SortedDictionary<int, int>();
        var watch = Stopwatch.StartNew();
        for (var i = 0L; i < iterations; i++)
        {
            if (i % WitnessEvery == 0)
            {
                var valid = await http.PostAsync("/events", new StringContent($$"""{"user":"{{witness}}","item":"w{{witnessed}}","type":"play"}""", Encoding.UTF8, "application/json"));
                Assert.Equal(HttpStatusCode.Accepted, valid.StatusCode);
                witnessed++;
            }

            var request = HostileRequests.Request.Generate(pcg, null, out _);
            if (!Uri.TryCreate(http.BaseAddress, request.PathAndQuery, out var uri)) continue;
            using var message = new HttpRequestMessage(new HttpMethod(request.Method), uri);
            if (request.Body is not null)
            {
                message.Content = new ByteArrayContent(request.Body);
                if (request.ContentType is not null) message.Content.Headers.TryAddWithoutValidation("Content-Type", request.ContentType);
            }

            foreach (var (name, value) in request.Headers) message.Headers.TryAddWithoutValidation(name, value);
            using var response = await http.SendAsync(message);
            sent++;
            var status = (int)response.StatusCode;
            statuses[status] = statuses.GetValueOrDefault(status) + 1;
            try
            {
                Assert.InRange(status, 200, 499);
                // Kestrel refuses a NUL in the path itself, before any middleware: a bare 400 (HttpProblemTests pins it).
                var refusedByKestrel = status == 400 && request.PathAndQuery.Split('?')[0].Contains("%00");
                if (status >= 400 && request.Method != "HEAD" && !refusedByKestrel) await Problems.DetailAsync(response);
            }
            catch (Exception e)
            {
                throw new Xunit.Sdk.XunitException($"request #{i} of seed {Seed}: {request} answered {status} {await response.Content.ReadAsStringAsync()}{Environment.NewLine}{e.Message}");
            }
        }

        output.WriteLine($"{sent:N0} hostile requests in {watch.Elapsed.TotalSeconds:0.0} s; statuses {string.Join(", ", statuses.Select(s => $"{s.Key}: {s.Value}"))}");
        Assert.True(sent > iterations * 9 / 10, $"only {sent} of {iterations} requests could be sent"); // the fuzz must reach the node
        Assert.Contains(400, statuses.Keys);
        Assert.Contains(202, statuses.Keys);

        // Every valid event posted between the hostile ones reached its user, in order.
        await Eventually.AssertAsync(async () =>
        {
            var session = await http.GetFromJsonAsync($"/users/{witness}/session", ApiJsonContext.Default.SessionDto);
            Assert.Equal(witnessed, session!.EventCount);
        }, TimeSpan.FromSeconds(60));
        var ready = await http.GetFromJsonAsync("/healthz/ready", ApiJsonContext.Default.HealthDto);
        Assert.Equal("ready", ready!.Status);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"/users/{witness}/recommendations?k=5")).StatusCode);
    }
}
