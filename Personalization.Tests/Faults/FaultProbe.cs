using System.Net.Http.Json;
using Personalization.Node.Http;
using Personalization.Tests.Infrastructure;
using Xunit;

namespace Personalization.Tests.Faults;

/// <summary>Reads progress through the public HTTP API, to place a fault in the middle of the stream.</summary>
public static class FaultProbe
{
    /// <summary>Polls until the stream's users have applied at least <paramref name="target"/> events in total.</summary>
    public static Task WaitUntilAppliedAsync(HttpClient http, FaultStream stream, int target) =>
        Eventually.AssertAsync(
            async () =>
            {
                long applied = 0;
                foreach (var user in stream.Workload.ItemsByUser.Keys)
                    applied += (await http.GetFromJsonAsync($"/users/{user}/session", ApiJsonContext.Default.SessionDto))!.EventCount;
                Assert.True(applied >= target, $"{applied} of {target} events applied");
            },
            FaultSettings.RecoverTimeout,
            TimeSpan.FromMilliseconds(200));
}
