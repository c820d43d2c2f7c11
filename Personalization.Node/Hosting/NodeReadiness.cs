namespace Personalization.Node.Hosting;

/// <summary>
/// Ready = every check tagged <see cref="HealthHosting.Ready"/> passes (HealthHosting): Up in the cluster, joined,
/// model loaded, Kafka consuming (if it should); a failing checkpoint store only degrades.
/// </summary>
public static class NodeReadiness
{
    public static async Task<(bool Ready, Dictionary<string, string> Checks)> EvaluateAsync(IServiceProvider services, CancellationToken cancellationToken = default)
    {
        var (ready, checks, _) = await HealthHosting.RunAsync(services, HealthHosting.Ready, cancellationToken);
        return (ready, checks);
    }

    public static async Task WaitUntilReadyAsync(IServiceProvider services, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var (ready, checks) = await EvaluateAsync(services, cancellationToken);
            if (ready) return;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"node not ready after {timeout.TotalSeconds:0} s: {string.Join(", ", checks.Select(c => $"{c.Key}={c.Value}"))}");
            await Task.Delay(100, cancellationToken);
        }
    }
}
