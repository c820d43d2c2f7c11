using System.Diagnostics;
using Personalization.Node.Http;

namespace Personalization.Node.Demo;

/// <summary>Produces the sample to Kafka at a fixed rate, in small batches, reporting progress.</summary>
public sealed class DemoReplayer(IEventPublisher publisher, IReadOnlyList<(string User, string Item)> sample, int eventsPerSecond)
{
    private const int TicksPerSecond = 20;

    public long Produced { get; private set; }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var perTick = Math.Max(1, eventsPerSecond / TicksPerSecond);
        var index = 0;
        while (index < sample.Count && !cancellationToken.IsCancellationRequested)
        {
            var due = (long)(clock.Elapsed.TotalSeconds * eventsPerSecond) + perTick;
            var count = (int)Math.Min(Math.Max(0, due - Produced), sample.Count - index);
            if (count > 0)
            {
                var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                var batch = new List<Personalization.Actors.Events.ListeningEvent>(count);
                for (var i = 0; i < count; i++) batch.Add(SampleSessions.ToEvent(sample[index + i], now));
                await publisher.PublishAsync(batch, cancellationToken);
                index += count;
                Produced = index;
            }

            await Task.Delay(1000 / TicksPerSecond, cancellationToken);
        }
    }
}
