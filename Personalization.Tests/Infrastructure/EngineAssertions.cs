using System.Net.Http.Json;
using Personalization.Node.Http;
using Xunit;

namespace Personalization.Tests.Infrastructure;

/// <summary>What "every user reflects exactly its events, in order" means, checked through the public HTTP API.</summary>
public static class EngineAssertions
{
    public const int RecentCapacity = 50;

    /// <summary>Waits until every user has applied at least its events, then requires exactly its events (no loss, no double apply).</summary>
    public static async Task WaitUntilAllAppliedAsync(HttpClient http, SampleWorkload workload, TimeSpan timeout)
    {
        await Eventually.AssertAsync(async () =>
        {
            foreach (var (user, items) in workload.ItemsByUser)
            {
                var session = await http.GetFromJsonAsync($"/users/{user}/session", ApiJsonContext.Default.SessionDto);
                Assert.True(session!.EventCount >= items.Count, $"user {user}: {session.EventCount} of {items.Count} events applied");
            }
        }, timeout, TimeSpan.FromMilliseconds(250));
    }

    /// <summary>Every user's session and recommendations equal the offline replay of exactly its events, in order.</summary>
    public static async Task AssertMatchesOfflineReplayAsync(HttpClient http, SampleWorkload workload, OfflineModel offline)
    {
        foreach (var (user, items) in workload.ItemsByUser)
        {
            var session = await http.GetFromJsonAsync($"/users/{user}/session", ApiJsonContext.Default.SessionDto);
            Assert.Equal(items.Count, session!.EventCount);
            Assert.Equal(items.TakeLast(RecentCapacity), session.RecentItems.Select(r => r.ItemId));
            Assert.Equal(items.Count(i => offline.Vocabulary.IndexOf(i) > 0), session.ModelSteps);

            var answer = await LiveRecommendationsAsync(http, user);
            var expected = offline.TopK(items, 10, RecentCapacity);
            Assert.False(answer!.ColdStart);
            Assert.Equal(items.Count, answer.EventsReflected);
            Assert.Equal(expected.Select(e => offline.Vocabulary.IdAt(e.Index)), answer.Items.Select(i => i.ItemId));
            for (var i = 0; i < expected.Length; i++) Assert.Equal(expected[i].Score, answer.Items[i].Score, 1e-4f);
        }
    }

    /// <summary>The user's live answer: a degraded one (the actor did not answer within the query budget) is asked again.</summary>
    private static async Task<RecommendationsDto> LiveRecommendationsAsync(HttpClient http, string user)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var answer = (await http.GetFromJsonAsync($"/users/{user}/recommendations?k=10", ApiJsonContext.Default.RecommendationsDto))!;
            if (answer.Degraded is null || DateTime.UtcNow > deadline) return answer;
        }
    }
}
