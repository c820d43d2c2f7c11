using System.Diagnostics;
using Akka.Actor;
using Personalization.Actors.Sessions;
using Personalization.LoadTest.Infra;

namespace Personalization.LoadTest.Scenarios;

/// <summary>Cost per live user (memory, throughput) and recovery speed.</summary>
public static class Users
{
    /// <summary>float[64]: 24 B array header + 256 B of values.</summary>
    public const double StateVectorBytes = 24 + 64 * 4;

    public static async Task<ScenarioResult> RunAsync(BenchContext ctx)
    {
        var r = new ScenarioResult { Scenario = "users", Title = "memory per live user and throughput vs number of users (1 node, SQLite)", Quick = ctx.Quick };
        var clock = Stopwatch.StartNew();
        var events = ctx.Quick ? 200_000L : 1_000_000L;
        var counts = ctx.Quick ? new[] { 10_000, 50_000 } : [10_000, 100_000, 1_000_000];
        var xs = new List<double>();
        var rates = new List<double>();
        var bytes = new List<double>();
        foreach (var users in counts)
        {
            var m = (await Ingest.RunAsync(ctx, "sqlite", events, users, backlog: false, "users"))[0];
            var beyond = Math.Round(m.HeapBytesPerUser - StateVectorBytes);
            r.Row(("live users", (double)users), ("events", (double)events), ("events/s (committed)", m.EventsPerSecond), ("events/s (applied)", m.AppliedPerSecond),
                ("checkpoints/event", m.CheckpointsPerEvent), ("heap B/user", m.HeapBytesPerUser), ("B/user beyond state vector", beyond),
                ("CPU µs/event", m.Resources.GetValueOrDefault("cpu_us_per_event")), ("alloc B/event", m.Resources.GetValueOrDefault("alloc_bytes_per_event")), ("complete", m.Complete));
            r.Figures[$"bytes_per_user_beyond_state_{users}"] = beyond;
            r.Figures[$"events_per_s_{users}"] = m.EventsPerSecond;
            xs.Add(Math.Log10(users));
            rates.Add(m.EventsPerSecond);
            bytes.Add(m.HeapBytesPerUser);
        }

        r.Plots.Add(new Plot { File = "users-throughput.png", Title = $"Throughput vs live users ({events:N0} events each run)", XLabel = "log10(live users)", YLabel = "events/s committed", Lines = [new Line { Label = "engine, SQLite", X = [.. xs], Y = [.. rates] }] });
        r.Plots.Add(new Plot { File = "users-memory.png", Title = "Managed heap per live user", XLabel = "log10(live users)", YLabel = "bytes per user", Lines = [new Line { Label = "heap / user", X = [.. xs], Y = [.. bytes] }, new Line { Label = "state vector (float[64])", X = [.. xs], Y = xs.Select(_ => StateVectorBytes).ToArray() }] });
        r.Notes.Add("Node started on an empty topic; rate = events / (all offsets committed − producer start); managed heap after a full compacting GC measured with 0 users, then the events are produced (live, as fast as the producer goes) and the heap is measured again once every offset is committed: (after − before) / users. Users stay live (idle timeout 600 s).");
        r.Notes.Add($"With as many users as events each user gets one event, so each event needs its own checkpoint row: the journal's row rate bounds that run (checkpoints/event column).");
        r.DurationSeconds = clock.Elapsed.TotalSeconds;
        return r;
    }

    public static async Task<ScenarioResult> RecoveryAsync(BenchContext ctx)
    {
        var r = new ScenarioResult { Scenario = "recovery", Title = "recovery: users restored per second after a restart", Quick = ctx.Quick };
        var clock = Stopwatch.StartNew();
        var users = ctx.Quick ? 20_000 : 100_000;
        foreach (var store in new[] { "sqlite", "postgresql" })
        {
            var topic = ctx.NewTopic("recovery");
            var (provider, connection) = await ctx.NewStoreAsync(store, "recovery-" + Guid.NewGuid().ToString("N")[..6]);
            var options = NodeRunner.Options_(ctx, topic, provider, connection);
            await ctx.ProduceAsync(topic, ctx.Workload(users, users), users);
            await using (var first = await NodeRunner.StartAsync(options))
            {
                using var watcher = new CommitWatcher(ctx.Bootstrap, options.Kafka.GroupId, topic, BenchContext.Partitions);
                await watcher.WaitForAsync(users, TimeSpan.FromMinutes(5));
            }

            await using var second = await NodeRunner.StartAsync(options);
            var region = await second.RegionAsync();
            using var gate = new SemaphoreSlim(1000);
            long restored = 0, wrong = 0;
            var timer = Stopwatch.StartNew();
            var tasks = new List<Task>(users);
            for (var i = 0; i < users; i++)
            {
                await gate.WaitAsync();
                var id = "u" + i;
                tasks.Add(Task.Run(async () =>
                {
                    try
                    {
                        var view = await region.Ask<SessionView>(new GetSession(id), TimeSpan.FromSeconds(60));
                        if (view.EventCount == 1) Interlocked.Increment(ref restored);
                        else Interlocked.Increment(ref wrong);
                    }
                    catch (Exception)
                    {
                        Interlocked.Increment(ref wrong);
                    }
                    finally
                    {
                        gate.Release();
                    }
                }));
            }

            await Task.WhenAll(tasks);
            var seconds = timer.Elapsed.TotalSeconds;
            var rate = Math.Round(restored / seconds);
            r.Row(("store", store), ("users", (double)users), ("restored", (double)restored), ("not restored / errors", (double)wrong), ("seconds", Math.Round(seconds, 1)), ("users restored/s", rate));
            r.Figures[$"recovery_{store}_users_per_s"] = rate;
            Console.WriteLine($"  recovery [{store}]: {restored:N0} of {users:N0} users restored in {seconds:0.0} s = {rate:N0}/s ({wrong} wrong)");
        }

        r.Notes.Add("Each user got one event and checkpointed it; the node is stopped gracefully and a new node started on the same store and group (nothing to replay). Then every user is touched (GetSession through the shard region, 1,000 in flight): the actor recovers from its checkpoint. restored = sessions with the event count they had.");
        r.DurationSeconds = clock.Elapsed.TotalSeconds;
        return r;
    }
}
