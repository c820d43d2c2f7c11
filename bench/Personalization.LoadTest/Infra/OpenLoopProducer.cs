using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using Personalization.Actors.Events;
using Personalization.Actors.Kafka.Producers;
namespace Personalization.LoadTest.Infra;

/// <summary>
/// Produces at a fixed rate whatever the engine does (open loop): every millisecond it sends what the schedule says is
/// due, each event stamped ts = now. Shared producer settings (murmur2, acks=all, idempotent, linger 5 ms).
/// </summary>
public sealed class OpenLoopProducer : IDisposable
{
    private readonly IProducer<byte[], byte[]> _producer;
    private readonly string _topic;
    private readonly string[] _items;
    private readonly int _users;
    private volatile bool _stop;
    private Thread? _thread;
    private long _sent;

    public OpenLoopProducer(BenchContext ctx, string topic, int users)
    {
        _producer = new ProducerBuilder<byte[], byte[]>(KafkaEventProducer.CreateConfig(ctx.Bootstrap, "open-loop")).Build();
        _topic = topic;
        _items = ctx.ItemIds;
        _users = users;
    }

    public double Rate { get; set; }
    public long Sent => Interlocked.Read(ref _sent);

    public void Start(double rate)
    {
        Rate = rate;
        _thread = new Thread(Run) { IsBackground = true, Name = "open-loop-producer" };
        _thread.Start();
    }

    private void Run()
    {
        var random = new Random(11);
        var clock = Stopwatch.StartNew();
        double due = 0;
        var last = 0.0;
        while (!_stop)
        {
            var now = clock.Elapsed.TotalSeconds;
            due += (now - last) * Rate;
            last = now;
            var ts = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            while (due >= 1)
            {
                var user = "u" + random.Next(_users);
                var evt = new ListeningEvent(user, _items[random.Next(_items.Length)], EventType.Play, ts);
                var message = new Message<byte[], byte[]> { Key = Encoding.UTF8.GetBytes(user), Value = ListeningEventJson.Serialize(evt), Timestamp = new Timestamp(ts, TimestampType.CreateTime) };
                try
                {
                    _producer.Produce(_topic, message);
                    due -= 1;
                    Interlocked.Increment(ref _sent);
                }
                catch (ProduceException<byte[], byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
                {
                    _producer.Poll(TimeSpan.FromMilliseconds(1));
                }
            }

            _producer.Poll(TimeSpan.Zero);
            Thread.Sleep(1);
        }
    }

    public void Stop()
    {
        _stop = true;
        _thread?.Join();
        _producer.Flush(TimeSpan.FromSeconds(30));
    }

    public void Dispose()
    {
        if (!_stop) Stop();
        _producer.Dispose();
    }
}

/// <summary>Reads a Prometheus histogram from the node's /metrics and gives percentiles of the difference of two scrapes.</summary>
public static class PromHistogram
{
    /// <summary>The histogram's cumulative buckets (le → count), summed over the label sets that contain <paramref name="labelFilter"/> (all when null).</summary>
    public static async Task<SortedDictionary<double, double>> ScrapeAsync(HttpClient http, string name, string? labelFilter = null)
    {
        var text = await http.GetStringAsync("/metrics");
        var buckets = new SortedDictionary<double, double>();
        var prefix = name + "_bucket{";
        foreach (var line in text.Split('\n'))
        {
            if (!line.StartsWith(prefix, StringComparison.Ordinal)) continue;
            var close = line.LastIndexOf('}');
            var labels = line[prefix.Length..close];
            if (labelFilter is not null && !labels.Contains(labelFilter, StringComparison.Ordinal)) continue;
            var at = labels.IndexOf("le=\"", StringComparison.Ordinal);
            if (at < 0) continue;
            var le = labels[(at + 4)..labels.IndexOf('"', at + 4)];
            var bound = le == "+Inf" ? double.PositiveInfinity : double.Parse(le, System.Globalization.CultureInfo.InvariantCulture);
            buckets[bound] = buckets.GetValueOrDefault(bound) + double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        }

        return buckets;
    }

    /// <summary>Percentile (0–100) of the observations between two scrapes, linear within a bucket, in the histogram's unit.</summary>
    public static double Percentile(SortedDictionary<double, double> before, SortedDictionary<double, double> after, double percentile, out double count)
    {
        var bounds = after.Keys.ToArray();
        var cum = bounds.Select(b => after[b] - before.GetValueOrDefault(b)).ToArray();
        count = cum.Length > 0 ? cum[^1] : 0;
        if (count == 0) return double.NaN;
        var target = percentile / 100 * count;
        for (var i = 0; i < bounds.Length; i++)
        {
            if (cum[i] < target) continue;
            var lower = i == 0 ? 0 : bounds[i - 1];
            var below = i == 0 ? 0 : cum[i - 1];
            if (double.IsPositiveInfinity(bounds[i])) return lower;
            var inBucket = cum[i] - below;
            return inBucket <= 0 ? bounds[i] : lower + (bounds[i] - lower) * (target - below) / inBucket;
        }

        return bounds[^1];
    }
}
