using Akka.Actor;
using Akka.Cluster;

namespace Personalization.Node.Hosting;

/// <summary>Ready = joined the cluster (Up) and every registered part (model, Kafka consumer, …) says so.</summary>
public static class NodeReadiness
{
    public static (bool Ready, Dictionary<string, string> Checks) Evaluate(IServiceProvider services)
    {
        var checks = new Dictionary<string, string>();
        var system = services.GetRequiredService<ActorSystem>();
        var self = Cluster.Get(system).SelfMember;
        checks["cluster"] = self.Status.ToString().ToLowerInvariant();
        var ready = self.Status == MemberStatus.Up;
        foreach (var check in services.GetServices<IReadinessCheck>())
        {
            var (ok, detail) = check.Check();
            checks[check.Name] = detail;
            ready &= ok;
        }

        return (ready, checks);
    }

    public static async Task WaitUntilReadyAsync(IServiceProvider services, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var (ready, checks) = Evaluate(services);
            if (ready) return;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"node not ready after {timeout.TotalSeconds:0} s: {string.Join(", ", checks.Select(c => $"{c.Key}={c.Value}"))}");
            await Task.Delay(100, cancellationToken);
        }
    }
}
