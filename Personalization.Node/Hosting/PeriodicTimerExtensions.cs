namespace Personalization.Node.Hosting;

public static class PeriodicTimerExtensions
{
    /// <summary>
    /// The next tick, or false once <paramref name="stoppingToken"/> is cancelled. A host disposed without being
    /// stopped cancels its background services' token too; for a sampling loop that is the end, not a fault (a fault
    /// would stop the host with a critical log line on its way down).
    /// </summary>
    public static async ValueTask<bool> TickOrStopAsync(this PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
