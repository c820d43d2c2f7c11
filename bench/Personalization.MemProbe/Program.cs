using System.Diagnostics;
using System.Globalization;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Confluent.Kafka;
using Microsoft.Diagnostics.Runtime;
using Personalization.Actors.Events;
using Personalization.Actors.Kafka.Broker;
using Personalization.Actors.Kafka.Producers;
using Personalization.Node.Hosting;
using Personalization.Node.Local;

// Managed heap per live user. One node (the production composition root, production session settings) on the embedded
// broker and SQLite; N users get E events each through Kafka; the managed heap after a full compacting GC is measured
// with 0 users and once every offset is committed (all users live): (after − before) / N. With --types, a child process
// (this program, --heap-of) reads the probe's heap with ClrMD in both states and the difference by type is printed per user.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

var argsList = args.ToList();
if (argsList.Contains("-h") || argsList.Contains("--help"))
{
    Console.WriteLine("usage: dotnet run -c Release --project bench/Personalization.MemProbe -- [--users 100000] [--events-per-user 1] [--settle 35] [--types <dir> [--why <type>]] [--top 40]");
    return 0;
}

if (StringArg("--heap-of") is { } target)
{
    WriteHeapByType(int.Parse(target, CultureInfo.InvariantCulture), StringArg("--out")!, StringArg("--why"));
    return 0;
}

var users = IntArg("--users", 100_000);
var perUser = IntArg("--events-per-user", 1);
// Each recovery leaves a cancelled RecoveryTick registration in the scheduler's wheel until its slot comes round
// (recovery-event-timeout, 30 s): wait that out so that the figure is what a live user costs, not a recovering one.
var settle = IntArg("--settle", 35);
var top = IntArg("--top", 40);
var typesDir = StringArg("--types");
var why = StringArg("--why"); // with --types: print what holds a few objects of this type (after)
const int Partitions = 24;
const double StateVectorBytes = 24 + 64 * 4; // float[64]

LibrdkafkaLoader.EnsureLoaded();
var root = FindRoot();
var modelPath = Path.Combine(root, "models", "default");
var itemIds = File.ReadAllLines(Path.Combine(modelPath, "items.txt")).Skip(1).Where(l => l.Length > 0).ToArray();
var work = Path.Combine(Path.GetTempPath(), "pz-memprobe-" + Guid.NewGuid().ToString("N")[..8]);
Directory.CreateDirectory(work);
if (typesDir is not null) Directory.CreateDirectory(typesDir);

using var broker = EmbeddedKafkaBroker.Start(brokers: 1);
const string Topic = "memprobe";
broker.CreateTopic(Topic, Partitions);
broker.CreateTopic(DeadLetterProducer.DeadLetterTopicFor(Topic), Partitions);

var options = new NodeOptions();
options.Http.Host = "127.0.0.1";
options.Http.Port = 0;
options.Cluster.Port = 0;
options.Kafka.BootstrapServers = broker.BootstrapServers;
options.Kafka.Topic = Topic;
options.Kafka.GroupId = Topic + "-engine";
options.Kafka.Partitions = Partitions;
options.Store.Provider = "sqlite";
options.Store.ConnectionString = $"Data Source={Path.Combine(work, "store.db")}";
options.Model.Path = modelPath;
options.Sessions.IdleTimeoutSeconds = 3600; // users stay live for the whole measurement

var node = await InProcessNode.StartAsync(options, TimeSpan.FromSeconds(90));
try
{
    var heapBefore = FullGcHeap();
    Console.WriteLine($"node ready; managed heap with 0 users {heapBefore / 1e6:0.0} MB");
    var typesBefore = typesDir is null ? null : await HeapByTypeAsync(Path.Combine(typesDir, "heap-before.tsv"));

    var total = (long)users * perUser;
    var clock = Stopwatch.StartNew();
    using (var producer = new KafkaEventProducer(broker.BootstrapServers, Topic, new Dictionary<string, string> { ["linger.ms"] = "20", ["batch.num.messages"] = "10000", ["queue.buffering.max.messages"] = "1000000" }))
        await producer.ProduceManyAsync(Workload());
    Console.WriteLine($"produced {total:N0} events ({users:N0} users × {perUser}) in {clock.Elapsed.TotalSeconds:0.0} s");

    using (var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = broker.BootstrapServers, GroupId = options.Kafka.GroupId, EnableAutoCommit = false }).Build())
    {
        var partitions = Enumerable.Range(0, Partitions).Select(p => new TopicPartition(Topic, p)).ToList();
        var committed = 0L;
        var last = Stopwatch.StartNew();
        while (committed < total)
        {
            await Task.Delay(500);
            committed = consumer.Committed(partitions, TimeSpan.FromSeconds(10)).Sum(t => Math.Max(0, t.Offset.Value));
            if (last.Elapsed.TotalSeconds >= 15)
            {
                Console.WriteLine($"  t={clock.Elapsed.TotalSeconds:0} s committed {committed:N0} of {total:N0}");
                last.Restart();
            }
        }
    }

    Console.WriteLine($"every offset committed after {clock.Elapsed.TotalSeconds:0.0} s; settling {settle} s");
    await Task.Delay(TimeSpan.FromSeconds(settle));
    var region = await node.UserRegionAsync();
    var state = await region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, TimeSpan.FromSeconds(30));
    var live = state.Shards.Sum(s => s.EntityIds.Count);
    var heapAfter = FullGcHeap();
    var perUserBytes = (heapAfter - heapBefore) / (double)users;
    Console.WriteLine($"live users {live:N0}; managed heap {heapAfter / 1e6:0.0} MB; heap/user {perUserBytes:N0} B, beyond the state vector {perUserBytes - StateVectorBytes:N0} B");
    if (live != users) Console.WriteLine($"WARNING: {live:N0} live users, expected {users:N0}");

    if (typesDir is not null)
    {
        var after = await HeapByTypeAsync(Path.Combine(typesDir, "heap-after.tsv"), why);
        var diff = after.Select(kv => (Type: kv.Key, Bytes: kv.Value.Bytes - typesBefore!.GetValueOrDefault(kv.Key).Bytes, Count: kv.Value.Count - typesBefore!.GetValueOrDefault(kv.Key).Count))
            .Concat(typesBefore!.Where(kv => !after.ContainsKey(kv.Key)).Select(kv => (Type: kv.Key, Bytes: -kv.Value.Bytes, Count: -kv.Value.Count)))
            .Where(d => d.Bytes != 0)
            .OrderByDescending(d => d.Bytes)
            .ToList();
        var lines = new List<string>
        {
            $"heap by type, after − before, per user ({users:N0} users × {perUser} events): {diff.Sum(d => d.Bytes) / (double)users:N0} B/user in {diff.Sum(d => d.Count) / (double)users:N1} objects/user",
            "    B/user  objects/user  type",
        };
        lines.AddRange(diff.Select(d => $"{d.Bytes / (double)users,10:N1}  {d.Count / (double)users,12:N3}  {d.Type}"));
        File.WriteAllLines(Path.Combine(typesDir, "per-user.txt"), lines);
        foreach (var l in lines.Take(top + 2)) Console.WriteLine(l);
        Console.WriteLine($"full list: {Path.Combine(typesDir, "per-user.txt")}");
    }
}
finally
{
    using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
    try { await node.StopAsync(cts.Token); } catch (Exception e) { Console.Error.WriteLine($"node stop: {e.Message}"); }
    await node.DisposeAsync();
    try { Directory.Delete(work, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
}

return 0;

IEnumerable<ListeningEvent> Workload()
{
    var random = new Random(7);
    var types = new[] { EventType.Play, EventType.Play, EventType.Play, EventType.Play, EventType.Play, EventType.Play, EventType.Skip, EventType.Like };
    var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
    for (var round = 0; round < perUser; round++)
        for (var u = 0; u < users; u++)
            yield return new ListeningEvent("u" + u, itemIds[random.Next(itemIds.Length)], types[random.Next(types.Length)], now + round);
}

static long FullGcHeap()
{
    GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
    GC.WaitForPendingFinalizers();
    GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
    return GC.GetTotalMemory(false);
}

// A process cannot read its own heap with ClrMD: a child attaches to this one (suspended while it reads).
static async Task<Dictionary<string, (long Bytes, long Count)>> HeapByTypeAsync(string file, string? why = null)
{
    FullGcHeap();
    var self = Environment.ProcessPath!;
    var dll = Path.Combine(AppContext.BaseDirectory, "Personalization.MemProbe.dll");
    var arguments = Path.GetFileNameWithoutExtension(self) == "dotnet" ? $"\"{dll}\" " : "";
    var psi = new ProcessStartInfo(self, $"{arguments}--heap-of {Environment.ProcessId} --out \"{file}\"{(why is null ? "" : $" --why \"{why}\"")}") { RedirectStandardError = true };
    using var child = Process.Start(psi)!;
    var stderr = child.StandardError.ReadToEndAsync();
    await child.WaitForExitAsync();
    if (child.ExitCode != 0) throw new InvalidOperationException($"heap reader failed ({child.ExitCode}): {await stderr}");
    return File.ReadLines(file).Select(l => l.Split('\t')).ToDictionary(p => p[2], p => (long.Parse(p[0], CultureInfo.InvariantCulture), long.Parse(p[1], CultureInfo.InvariantCulture)));
}

// Only objects reachable from the roots count (the GC just ran, but the process kept allocating until the attach).
static void WriteHeapByType(int pid, string file, string? why)
{
    using var target = DataTarget.AttachToProcess(pid, suspend: true);
    using var runtime = target.ClrVersions.Single().CreateRuntime();
    var heap = runtime.Heap;
    var marked = new HashSet<ulong>();
    var stack = new Stack<ulong>();
    foreach (var root in heap.EnumerateRoots())
        if (root.Object.Address != 0 && marked.Add(root.Object.Address)) stack.Push(root.Object.Address);
    var rows = new Dictionary<string, (long Bytes, long Count)>();
    var parents = why is null ? null : new Dictionary<ulong, ulong>();
    var samples = new List<ulong>();
    var matches = 0;
    while (stack.Count > 0)
    {
        var obj = heap.GetObject(stack.Pop());
        if (!obj.IsValid) continue;
        var name = obj.Type?.Name ?? "<unknown>";
        // Strings by shape (digits as #, hex runs as h), so that per-user strings show what they are.
        if (name == "System.String") name = "System.String: " + Shape(obj.AsString(120) ?? "");
        var had = rows.GetValueOrDefault(name);
        rows[name] = (had.Bytes + (long)obj.Size, had.Count + 1);
        if (why is not null && obj.Type?.Name == why && samples.Count < 5 && matches++ % 1000 == 0) samples.Add(obj.Address);
        foreach (var child in obj.EnumerateReferenceAddresses(carefully: false, considerDependantHandles: true))
            if (child != 0 && marked.Add(child))
            {
                stack.Push(child);
                if (parents is not null) parents[child] = obj.Address;
            }
    }

    foreach (var sample in samples)
    {
        Console.WriteLine($"held: {why}");
        for (var (a, depth) = (sample, 0); parents!.TryGetValue(a, out var parent) && depth < 25; a = parent, depth++)
            Console.WriteLine($"  <- {heap.GetObject(parent).Type?.Name}");
    }

    File.WriteAllLines(file, rows.OrderByDescending(r => r.Value.Bytes).Select(r => $"{r.Value.Bytes}\t{r.Value.Count}\t{r.Key}"));
}

static string Shape(string s)
{
    var shape = System.Text.RegularExpressions.Regex.Replace(s, "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<guid>");
    shape = System.Text.RegularExpressions.Regex.Replace(shape, "[0-9]+", "#");
    shape = System.Text.RegularExpressions.Regex.Replace(shape, @"\s", " ");
    return shape.Length > 100 ? shape[..100] + "…" : shape;
}

int IntArg(string name, int fallback) => StringArg(name) is { } s ? int.Parse(s, CultureInfo.InvariantCulture) : fallback;

string? StringArg(string name)
{
    var i = argsList.IndexOf(name);
    return i >= 0 && i + 1 < argsList.Count ? argsList[i + 1] : null;
}

static string FindRoot()
{
    foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Personalization.sln"))) return dir.FullName;
    throw new InvalidOperationException("run from inside the repository (no Personalization.sln found above)");
}
