using System.Net;

namespace Personalization.Tests.Faults;

/// <summary>
/// Asks for recommendations of users that already have live state, over and over while a fault lasts, and counts
/// the answers and the failures (anything but 200, or no answer within the client's timeout).
/// </summary>
public sealed class QueryProbe : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly List<string> _failures = [];
    private int _answered;

    private QueryProbe(HttpClient http, IReadOnlyList<string> users) => _loop = Task.Run(() => LoopAsync(http, users));

    public int Answered => Volatile.Read(ref _answered);

    public IReadOnlyList<string> Failures
    {
        get { lock (_failures) return _failures.ToList(); }
    }

    public static QueryProbe Start(HttpClient http, IReadOnlyList<string> users) => new(http, users);

    /// <summary>Stops asking; returns once the last query is done.</summary>
    public async Task StopAsync()
    {
        if (!_stop.IsCancellationRequested) await _stop.CancelAsync();
        await _loop;
    }

    public async ValueTask DisposeAsync() => await StopAsync(); // the token source holds no timer: nothing to dispose

    private async Task LoopAsync(HttpClient http, IReadOnlyList<string> users)
    {
        for (var i = 0; !_stop.IsCancellationRequested; i++)
        {
            var user = users[i % users.Count];
            try
            {
                using var response = await http.GetAsync($"/users/{user}/recommendations?k=10");
                if (response.StatusCode == HttpStatusCode.OK) Interlocked.Increment(ref _answered);
                else Fail($"{user}: HTTP {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                Fail($"{user}: {e.GetType().Name}: {e.Message}");
            }

            try
            {
                await Task.Delay(20, _stop.Token); // a query rate, not a synchronisation
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    private void Fail(string failure)
    {
        lock (_failures) _failures.Add(failure);
    }
}
