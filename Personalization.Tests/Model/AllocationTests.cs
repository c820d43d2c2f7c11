using System.Diagnostics;
using System.Text;
using Akka.Actor;
using Confluent.Kafka;
using Personalization.Actors.Delivery;
using Personalization.Actors.Ingest;
using Personalization.Actors.Kafka.Producers;
using Personalization.Actors.Kafka.Source;
using Personalization.Actors.Model;
using Personalization.Actors.Telemetry;
using Personalization.Node.Hosting;
using Xunit;
using Xunit.Abstractions;

namespace Personalization.Tests.Model;

/// <summary>The hot path's managed allocations, measured on the running thread.</summary>
[Collection(Name)]
public sealed class AllocationTests(ITestOutputHelper output)
{
    public const string Name = "allocation (alone)";

    /// <summary>
    /// Steady state, not first use: each graph path is warmed past the JIT's tier-up threshold (30 calls) before
    /// anything is measured, then measured in rounds of single runs. In the full suite a round once saw 1,592 B in
    /// 20 score runs while the same code allocates nothing alone: something outside the graph run (the runtime on
    /// this thread: tiering, a first-time path) allocated once. A run that allocates shows in every round, so the
    /// claim is a round of exactly 0 B per graph; rounds that did see bytes are printed with the runs that saw them.
    /// </summary>
    [Fact]
    public void Bound_graph_runs_allocate_nothing()
    {
        using var onnx = OnnxSequenceModel.Open(TestModelFolder.Path);
        onnx.StepItems(64).Fill(3);
        for (var i = 0; i < Warm; i++)
        {
            onnx.RunStep(64); // the first run of a batch size binds its buffers: once
            onnx.RunScore(8);
        }

        var step = Rounds(() => onnx.RunStep(64), runs: 200);
        var score = Rounds(() => onnx.RunScore(8), runs: 20);

        output.WriteLine($"200 step runs, by round: {string.Join(", ", step.Select(r => r.Bytes))} B; 20 score runs, by round: {string.Join(", ", score.Select(r => r.Bytes))} B");
        foreach (var (graph, rounds) in new[] { ("step", step), ("score", score) })
            foreach (var round in rounds.Where(r => r.Bytes != 0))
                output.WriteLine($"  {graph}: a round allocated {round.Bytes} B in runs {string.Join(", ", round.Runs)}");
        Assert.Contains(step, r => r.Bytes == 0);
        Assert.Contains(score, r => r.Bytes == 0);
    }

    private const int Warm = 100;
    private const int RoundCount = 3;

    /// <summary>Allocated bytes of <paramref name="runs"/> runs, <see cref="RoundCount"/> times, and which runs allocated.</summary>
    private static List<(long Bytes, List<int> Runs)> Rounds(Action run, int runs)
    {
        var perRun = new long[runs]; // allocated before measuring
        var rounds = new List<(long, List<int>)>(RoundCount);
        for (var r = 0; r < RoundCount; r++)
        {
            for (var i = 0; i < runs; i++)
            {
                var before = GC.GetAllocatedBytesForCurrentThread();
                run();
                perRun[i] = GC.GetAllocatedBytesForCurrentThread() - before;
            }

            rounds.Add((perRun.Sum(), Enumerable.Range(0, runs).Where(i => perRun[i] != 0).ToList()));
        }

        return rounds;
    }

    /// <summary>
    /// The per-event trace hooks (docs/DESIGN.md, "Traces") on the hot path, when nothing samples the event: with no
    /// listener on the engine's source the poll thread does not call them at all; with OpenTelemetry's sampler
    /// listening but dropping the event (a producer that did not sample it, or a root under a 0 ratio) the span is
    /// decided against before any object exists. Both: exactly 0 B per event, in every round. A sampled event does
    /// allocate (its span), printed for scale.
    /// </summary>
    [Fact]
    public void An_event_nobody_samples_costs_the_trace_hooks_no_allocation()
    {
        var source = new FakeRef();
        var notSampled = new Headers { { "traceparent", Encoding.ASCII.GetBytes("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00") } };
        var sampledHeader = new Headers { { "traceparent", Encoding.ASCII.GetBytes("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01") } };
        var noHeader = new Headers();
        var delivery = new DeliveryTag(0, 1, -1, source);
        long offset = 0;

        // What every stage of the path runs per event: the poll thread's listener check, the handler's, the user's and the source's span checks.
        void HotPath(Headers headers)
        {
            if (EngineTracing.Source.HasListeners()) EventSpans.TryStart(source, "process t", "t", "g", 0, offset++, headers);
            if (EventSpans.Active) EventSpans.AddEvent(delivery, "user.received");
        }

        Assert.False(EngineTracing.Source.HasListeners(), "another test left a listener on the engine's source");
        for (var i = 0; i < Warm; i++) HotPath(noHeader);
        var off = Rounds(() => HotPath(notSampled), runs: 1000);

        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == EngineTracing.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        var sampler = new EngineSampler(TracingHosting.ParseSampler("parentbased_traceidratio", "0"));
        EngineTracing.Sampler = sampler;
        try
        {
            for (var i = 0; i < Warm; i++)
            {
                HotPath(notSampled);
                HotPath(noHeader);
            }

            var droppedParent = Rounds(() => HotPath(notSampled), runs: 1000);
            var droppedRoot = Rounds(() => HotPath(noHeader), runs: 1000);
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 100; i++) HotPath(sampledHeader);
            var perSampled = (GC.GetAllocatedBytesForCurrentThread() - before) / 100.0;
            output.WriteLine($"per 1,000 events, by round — no listener: {string.Join(", ", off.Select(r => r.Bytes))} B; " +
                             $"listener, producer did not sample: {string.Join(", ", droppedParent.Select(r => r.Bytes))} B; " +
                             $"listener, root under ratio 0: {string.Join(", ", droppedRoot.Select(r => r.Bytes))} B; a sampled event: {perSampled:F0} B (its span)");
            Assert.All(off, r => Assert.Equal(0, r.Bytes));
            Assert.All(droppedParent, r => Assert.Equal(0, r.Bytes));
            Assert.All(droppedRoot, r => Assert.Equal(0, r.Bytes));
            Assert.Equal(100, EventSpans.Count);
        }
        finally
        {
            EngineTracing.Sampler = null;
            EventSpans.Abandon(source, partition: null, fromOffset: 0, "test over");
        }

        Assert.Equal(0, EventSpans.Count);
    }

    /// <summary>
    /// The ingest handler (decode, route, tag, Tell) per record: the same bytes whether nothing listens or
    /// OpenTelemetry listens and drops the event, i.e. the trace hooks add nothing to the handler's own allocations.
    /// </summary>
    [Fact]
    public void The_ingest_handler_allocates_the_same_with_a_dropping_tracer_as_with_none()
    {
        using var deadLetters = new DeadLetterProducer("127.0.0.1:1");
        var source = new FakeSource();
        var handler = new IngestRecordHandler("t", new FakeRef(), deadLetters, 12, source, Akka.Event.NoLogger.Instance);
        var value = Encoding.UTF8.GetBytes("""{"user":"alloc-user","item":"42","type":"play","ts":1700000000000}""");
        var key = Encoding.UTF8.GetBytes("alloc-user");
        var partition = Actors.Routing.KafkaPartitioner.PartitionFor(key, 12);
        var records = Enumerable.Range(0, 3000).Select(i => new ConsumedRecord("t", partition, i, key, value, 1700000000000)).ToArray();
        var next = 0;

        long PerRecord()
        {
            for (var i = 0; i < Warm; i++) handler.Handle(records[next++ % records.Length]);
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 1000; i++) handler.Handle(records[next++ % records.Length]);
            return (GC.GetAllocatedBytesForCurrentThread() - before) / 1000;
        }

        Assert.False(EngineTracing.Source.HasListeners(), "another test left a listener on the engine's source");
        var without = PerRecord();
        using var listener = new ActivityListener { ShouldListenTo = s => s.Name == EngineTracing.SourceName, Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded };
        ActivitySource.AddActivityListener(listener);
        EngineTracing.Sampler = new EngineSampler(TracingHosting.ParseSampler("always_off", null));
        try
        {
            var dropping = PerRecord();
            output.WriteLine($"ingest handler per record: {without} B without a listener, {dropping} B with a tracer that drops it");
            Assert.Equal(without, dropping);
        }
        finally
        {
            EngineTracing.Sampler = null;
        }
    }

    private sealed class FakeRef : MinimalActorRef
    {
        public override ActorPath Path { get; } = new RootActorPath(new Address("akka", "alloc")) / "fake";

        public override IActorRefProvider Provider => throw new NotSupportedException();

        protected override void TellInternal(object message, IActorRef sender)
        {
        }
    }

    private sealed class FakeSource : IKafkaSourceControl
    {
        public IActorRef AckTarget { get; } = new FakeRef();

        public Task Completion => Task.CompletedTask;

        public IReadOnlyCollection<int> AssignedPartitions => [];

        public Task DrainAndShutdownAsync(TimeSpan timeout) => Task.CompletedTask;

        public Task ShutdownAsync() => Task.CompletedTask;

        public long CommittablePosition(int partition) => -1;

        public KafkaSourceStatus Status() => throw new NotSupportedException();
    }

    /// <summary>
    /// A user's events through its session (docs/DESIGN.md, "The user session"): arrival, the step decision, the step's
    /// result, the checkpoint every N events and its acknowledgements, as the actor hands them over — the model itself is
    /// not run (its result array is the batcher's, measured above). Bytes per event, the session's own, for a user
    /// without companions: no provider of companions, the registry with none loaded, and the registry with companions
    /// that other users keep (one bucket per salt, computed on the stack). All three the same: the companion seam
    /// costs such a user nothing per event. (Before companions existed: 423.2 B per event; a new session 360 B.)
    /// </summary>
    [Fact]
    public async Task A_users_events_cost_its_session_the_same_bytes_with_or_without_companion_rules()
    {
        await using var none = new ModelRegistry(path => new Personalization.Tests.Sessions.OrderedModel(path));
        await using var others = new ModelRegistry(path => new Personalization.Tests.Sessions.OrderedModel(path));
        var bucket = VariantAssignment.BucketOf("alloc-user", "shadow");
        var from = bucket < VariantAssignment.Buckets / 2 ? 0.5 : 0.0; // a half of the users without this one
        others.SetCompanions([new CompanionSpec("shadow", "shadow-1", from, from + 0.5), new CompanionSpec("interleaving", "il-1", 0.9999, 1, Salt: "x")]);
        Assert.Empty(others.CompanionsFor("alloc-user"));

        await using var one = new ModelRegistry(path => new Personalization.Tests.Sessions.OrderedModel(path, items: 20));
        one.SetCompanions([new CompanionSpec("shadow", "shadow-1")]);

        var withoutProvider = SessionBytesPerEvent(null);
        var withoutCompanions = SessionBytesPerEvent(none);
        var othersCompanions = SessionBytesPerEvent(others);
        var withOne = SessionBytesPerEvent(one); // for scale: what a user with a companion pays (its step and its batch)

        output.WriteLine($"session per event: {withoutProvider:F1} B without a provider, {withoutCompanions:F1} B with the registry and no companion, " +
                         $"{othersCompanions:F1} B with companions of other users; {withOne:F1} B with one companion of its own; a new session: {NewSessionBytes()} B");
        Assert.Equal(withoutProvider, withoutCompanions);
        Assert.Equal(withoutProvider, othersCompanions);
    }

    private static long NewSessionBytes()
    {
        var settings = new Actors.Sessions.UserSessionSettings();
        GC.KeepAlive(new Actors.Sessions.UserSession("alloc-user", settings));
        var before = GC.GetAllocatedBytesForCurrentThread();
        GC.KeepAlive(new Actors.Sessions.UserSession("alloc-user", settings));
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    private static double SessionBytesPerEvent(IModelProvider? companions)
    {
        var model = new Personalization.Tests.Sessions.FakeModel("v1");
        var settings = new Actors.Sessions.UserSessionSettings();
        var source = new FakeRef();
        const int events = 4000;
        var arrivals = Enumerable.Range(0, events)
            .Select(i => new Actors.Sessions.ApplyEvent("alloc-user", "i" + (1 + i % 20), Actors.Events.EventType.Play, 1_700_000_000_000 + i, new DeliveryTag(0, i, i - 1, source)))
            .ToArray();
        var state = new float[model.StateSize];
        var session = new Actors.Sessions.UserSession("alloc-user", settings);
        session.RecoveryCompleted();
        var decisions = new List<Actors.Sessions.SessionDecision>();
        var next = 0;

        // What the actor carries out, minus Akka: a step's result comes back at once, a checkpoint is durable at once.
        void Run(int count)
        {
            for (var n = 0; n < count; n++)
            {
                session.EventArrived(arrivals[next++], model, 1_700_000_000_000, decisions, companions);
                for (var i = 0; i < decisions.Count; i++)
                {
                    var decision = decisions[i];
                    switch (decision)
                    {
                        case Actors.Sessions.StepModel step:
                            session.StepCompleted(step.Batch, state, step.Runtime, model, 1_700_000_000_000, decisions, companions);
                            break;
                        case Actors.Sessions.PersistCheckpoint persist:
                            session.CheckpointPersisted(persist.Checkpoint, decisions);
                            break;
                        case Actors.Sessions.StepCompanion step:
                            if (companions?.CompanionsFor("alloc-user").Count is null or 0) throw new InvalidOperationException("a user without companions was asked to step one");
                            session.CompanionStepCompleted(step.Step, state, decisions);
                            break;
                    }
                }

                decisions.Clear();
            }
        }

        Run(Warm * 4);
        var rounds = new List<long>();
        for (var r = 0; r < RoundCount; r++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            Run(1000);
            rounds.Add(GC.GetAllocatedBytesForCurrentThread() - before);
        }

        return rounds.Min() / 1000.0;
    }

    [Fact]
    public async Task A_step_request_allocates_little_beyond_its_result()
    {
        await using var batcher = InferenceBatcher.Open(TestModelFolder.Path);
        var state = new float[batcher.StateSize];
        int[] items = [5];
        for (var i = 0; i < 100; i++) state = await batcher.StepAsync(state, items); // warm up

        // Counts every thread (the inference thread too): this collection runs alone.
        const int requests = 2000;
        var before = GC.GetTotalAllocatedBytes(precise: true);
        for (var i = 0; i < requests; i++) state = await batcher.StepAsync(state, items);
        var perRequest = (GC.GetTotalAllocatedBytes(precise: true) - before) / (double)requests;
        output.WriteLine($"{perRequest:F0} B per StepAsync (result array {sizeof(float) * batcher.StateSize + 24} B)");
        Assert.True(perRequest < 4096, $"{perRequest:F0} B per StepAsync");
    }
}

[CollectionDefinition(AllocationTests.Name, DisableParallelization = true)]
public sealed class AllocationCollection;
