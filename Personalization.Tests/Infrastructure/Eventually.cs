namespace Personalization.Tests.Infrastructure;

/// <summary>Polls an assertion until it holds or the time is up (then its last failure is thrown): AwaitAssert for async code.</summary>
public static class Eventually
{
    public static async Task AssertAsync(Func<Task> assertion, TimeSpan? timeout = null, TimeSpan? interval = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            try
            {
                await assertion();
                return;
            }
            catch (Exception) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(interval ?? TimeSpan.FromMilliseconds(100));
            }
        }
    }

    /// <summary>Polls <paramref name="condition"/> until it holds; fails with <paramref name="what"/> when the time is up.</summary>
    public static void True(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"not within {timeout.TotalSeconds:0.#} s: {what}");
            Thread.Sleep(5);
        }
    }
}
