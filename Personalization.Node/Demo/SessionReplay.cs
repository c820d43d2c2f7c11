using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Personalization.Node.Http;

namespace Personalization.Node.Demo;

/// <summary>What the replaying client saw for one variant (or "none" outside experiments).</summary>
public sealed record ReplayVariantSummary(string Variant, int Answers, int Hits);

/// <param name="Observed">Every answer in the order it was served (experiment answers only).</param>
public sealed record ReplaySummary(int Users, int Events, int Answers, IReadOnlyList<ReplayVariantSummary> Variants, TimeSpan Elapsed, IReadOnlyList<ObservedAnswer> Observed);

/// <summary>
/// Traffic for an experiment from logged sessions, through the public API like a product surface: before each of a
/// user's plays after the first it asks for the user's recommendations, then plays the logged next item with the
/// answer's <c>recommendationId</c>, and waits until the session reflects the play before asking again (so each answer
/// is computed from exactly the plays before it, as an offline replay of the same sessions would). Users run in
/// parallel; each user's plays are in order. <paramref name="userPrefix"/> renames users (fresh sessions on a node
/// that already holds the sample's users).
/// </summary>
public sealed class SessionReplay(HttpClient http, int k = 10, string userPrefix = "")
{
    private static readonly TimeSpan ApplyTimeout = TimeSpan.FromSeconds(30);

    public async Task<ReplaySummary> RunAsync(IReadOnlyList<(string User, IReadOnlyList<string> Items)> sessions, int parallel, IProgress<int>? progress = null, CancellationToken ct = default)
    {
        var started = DateTime.UtcNow;
        var tally = new ConcurrentDictionary<string, (int Answers, int Hits)>(StringComparer.Ordinal);
        var events = 0;
        var observed = new List<ObservedAnswer>();
        await Parallel.ForEachAsync(sessions, new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = ct }, async (session, token) =>
        {
            var user = userPrefix + session.User;
            for (var i = 0; i < session.Items.Count; i++)
            {
                string? recommendationId = null;
                if (i > 0)
                {
                    var answer = await http.GetFromJsonAsync($"/users/{Uri.EscapeDataString(user)}/recommendations?k={k}", ApiJsonContext.Default.RecommendationsDto, token)
                        ?? throw new InvalidOperationException($"no answer for user {user}");
                    recommendationId = answer.RecommendationId;
                    var played = answer.Items.FirstOrDefault(item => item.ItemId == session.Items[i]);
                    var hit = played is not null;
                    if (answer.Experiment is { } experiment)
                        lock (observed) observed.Add(new ObservedAnswer(experiment.Variant, hit, played?.Variant));
                    tally.AddOrUpdate(answer.Experiment?.Variant ?? "none", _ => (1, hit ? 1 : 0), (_, t) => (t.Answers + 1, t.Hits + (hit ? 1 : 0)));
                }

                await PlayAsync(user, session.Items[i], recommendationId, token);
                await WaitUntilAppliedAsync(user, i + 1, token);
                progress?.Report(Interlocked.Increment(ref events));
            }
        });

        var variants = tally.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => new ReplayVariantSummary(t.Key, t.Value.Answers, t.Value.Hits)).ToList();
        return new ReplaySummary(sessions.Count, events, variants.Sum(v => v.Answers), variants, DateTime.UtcNow - started, observed);
    }

    private async Task PlayAsync(string user, string item, string? recommendationId, CancellationToken ct)
    {
        var body = new StringBuilder("{\"user\":").Append(JsonSerializer.Serialize(user)).Append(",\"item\":").Append(JsonSerializer.Serialize(item)).Append(",\"type\":\"play\"");
        if (recommendationId is not null) body.Append(",\"recommendationId\":").Append(JsonSerializer.Serialize(recommendationId));
        body.Append('}');
        using var response = await http.PostAsync("/events", new StringContent(body.ToString(), Encoding.UTF8, "application/json"), ct);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"POST /events for {user} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
    }

    private async Task WaitUntilAppliedAsync(string user, int events, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + ApplyTimeout;
        while (true)
        {
            using var response = await http.GetAsync($"/users/{Uri.EscapeDataString(user)}/session", ct);
            if (response.IsSuccessStatusCode)
            {
                var session = await response.Content.ReadFromJsonAsync(ApiJsonContext.Default.SessionDto, ct);
                if (session!.EventCount >= events) return;
            }

            if (DateTime.UtcNow > deadline) throw new TimeoutException($"user {user}'s event {events} was not applied within {ApplyTimeout.TotalSeconds:0} s");
            await Task.Delay(2, ct);
        }
    }
}
