using System.Diagnostics;
using System.Net.Http.Json;
using Personalization.Node.Http;

namespace Personalization.Tests.Cluster;

/// <summary>Queries users in a loop (one at a time, round robin) and counts what came back: live, degraded, errors.</summary>
public sealed record QueryAvailability(int Total, int Ok, int Degraded, int Errors, TimeSpan MaxLatency)
{
    public static async Task<QueryAvailability> MeasureAsync(HttpClient http, IReadOnlyList<string> users, CancellationToken stop)
    {
        int total = 0, ok = 0, degraded = 0, errors = 0;
        var max = TimeSpan.Zero;
        while (!stop.IsCancellationRequested)
        {
            var user = users[total % users.Count];
            total++;
            var clock = Stopwatch.StartNew();
            try
            {
                using var response = await http.GetAsync($"/users/{user}/recommendations?k=5", CancellationToken.None);
                if (response.IsSuccessStatusCode)
                {
                    ok++;
                    if ((await response.Content.ReadFromJsonAsync(ApiJsonContext.Default.RecommendationsDto, CancellationToken.None))!.Degraded is not null) degraded++;
                }
                else errors++;
            }
            catch (HttpRequestException)
            {
                errors++;
            }

            if (clock.Elapsed > max) max = clock.Elapsed;
        }

        return new QueryAvailability(total, ok, degraded, errors, max);
    }

    public override string ToString() =>
        $"{Total} asked, {Ok} answered 200 ({Degraded} degraded), {Errors} errors, availability {(Total == 0 ? 0 : 100.0 * Ok / Total):0.0} %, slowest {MaxLatency.TotalMilliseconds:0} ms";
}
