using System.Net.Http.Json;
using System.Text;
using Personalization.Node.Http;
using Xunit;

namespace Personalization.Tests.Infrastructure;

/// <summary>Users given a short history through POST /events, and their answers as item ids.</summary>
public static class ListeningUsers
{
    private static readonly Lazy<string[]> Vocabulary = new(() => File.ReadLines(Path.Combine(RepositoryPaths.DefaultModel, "items.txt")).Skip(1).ToArray());

    /// <summary>Item ids of the shipped model, in vocabulary order (row 1 on).</summary>
    public static IReadOnlyList<string> ModelItems => Vocabulary.Value;

    /// <summary>Plays <paramref name="items"/> for <paramref name="userId"/> and waits until the user's session has applied them all.</summary>
    public static async Task GiveHistoryAsync(HttpClient http, string userId, IReadOnlyList<string> items, TimeSpan? timeout = null)
    {
        var body = "[" + string.Join(",", items.Select(i => $$"""{"user":"{{userId}}","item":"{{i}}","type":"play"}""")) + "]";
        var posted = await http.PostAsync("/events", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(System.Net.HttpStatusCode.Accepted, posted.StatusCode);
        await Eventually.AssertAsync(async () =>
        {
            var session = await http.GetFromJsonAsync($"/users/{userId}/session", ApiJsonContext.Default.SessionDto);
            Assert.Equal(items.Count, session!.EventCount);
        }, timeout ?? TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(200));
    }

    /// <summary>The user's answer (200 asserted) as item ids; <paramref name="query"/> is appended to the query string.</summary>
    public static async Task<string[]> RecommendAsync(HttpClient http, string userId, int k, string query = "")
    {
        var response = await http.GetAsync($"/users/{Uri.EscapeDataString(userId)}/recommendations?k={k}{query}");
        Assert.True(response.IsSuccessStatusCode, $"{response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        var answer = await response.Content.ReadFromJsonAsync(ApiJsonContext.Default.RecommendationsDto);
        return answer!.Items.Select(i => i.ItemId).ToArray();
    }
}
