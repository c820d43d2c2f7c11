using Akka.Actor;
using Personalization.Node.Hosting;

namespace Personalization.Node.Http.Dashboard;

/// <summary>
/// The dashboard's memory: a snapshot (<see cref="DashboardDto"/>) every <see cref="Interval"/>, the last
/// <see cref="Capacity"/> of them (5 minutes), so a page opened now has rates, recent quantiles and the ingest chart
/// at once instead of after minutes of polling. One snapshot is a few KB; sampling reads the registry like a scrape.
/// </summary>
public sealed class DashboardHistory(IServiceProvider services, ILogger<DashboardHistory> log) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);
    public const int Capacity = 60;

    private readonly Queue<DashboardDto> _samples = new();
    private readonly Lock _gate = new();

    public IReadOnlyList<DashboardDto> Samples()
    {
        lock (_gate) return _samples.ToArray();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        do
        {
            try
            {
                var system = services.GetService<ActorSystem>();
                if (system is null) continue;
                var sample = await DashboardEndpoints.SnapshotAsync(system, services.GetRequiredService<ModelLoader>(), services, stoppingToken);
                lock (_gate)
                {
                    _samples.Enqueue(sample);
                    while (_samples.Count > Capacity) _samples.Dequeue();
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                log.LogDebug(e, "Dashboard sample skipped");
            }
        }
        while (await timer.TickOrStopAsync(stoppingToken).ConfigureAwait(false));
    }
}
