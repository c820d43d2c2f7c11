using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;
using Akka.Event;

namespace Personalization.Actors.Experiments;

/// <summary>A command from an operator; <see cref="ModelProblems"/> holds, per model folder named, why it cannot serve (null: it can), checked before.</summary>
public sealed record ExperimentRequest(ExperimentCommand Command, IReadOnlyDictionary<string, string?> ModelProblems);

/// <summary>Push this node's counts now and answer <see cref="Flushed"/> (a report then includes them).</summary>
public sealed record FlushTally
{
    public static readonly FlushTally Instance = new();
}

public sealed record Flushed
{
    public static readonly Flushed Instance = new();
}

/// <summary>
/// One per node: keeps <see cref="ExperimentDirectory"/> equal to the replicated experiments (Akka.DistributedData,
/// key <see cref="ExperimentsKey"/>), carries out operators' commands (decided by <see cref="ExperimentRules"/>,
/// written to a majority of nodes) and adds this node's tally to the replicated counters every
/// <see cref="FlushInterval"/>. Commands are decided one at a time per node; two nodes changing the same experiment
/// within one gossip round resolve by last writer wins.
/// </summary>
public sealed class ExperimentReplicator : ReceiveActor, IWithTimers
{
    public static readonly LWWDictionaryKey<string, ExperimentDefinition> ExperimentsKey = new("experiments");
    public static readonly TimeSpan FlushInterval = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan WriteTimeout = TimeSpan.FromSeconds(3);

    private readonly ExperimentDirectory _directory;
    private readonly ExperimentTally _tally;
    private readonly TimeProvider _time;
    private readonly IActorRef _replicator;
    private readonly Cluster _cluster;
    private readonly ILoggingAdapter _log = Context.GetLogger();

    public ExperimentReplicator(ExperimentDirectory directory, ExperimentTally tally, TimeProvider? time = null)
    {
        _directory = directory;
        _tally = tally;
        _time = time ?? TimeProvider.System;
        _replicator = DistributedData.Get(Context.System).Replicator;
        _cluster = Cluster.Get(Context.System);

        Receive<Changed>(c => c.Key.Equals(ExperimentsKey), c => Adopt(c.Get(ExperimentsKey)));
        Receive<GetSuccess>(g => g.Key.Equals(ExperimentsKey), g => Adopt(g.Get(ExperimentsKey)));
        Receive<NotFound>(n => n.Key.Equals(ExperimentsKey), _ => { if (!_directory.Loaded) _directory.Replace(ImmutableDictionary<string, ExperimentDefinition>.Empty); });
        Receive<GetFailure>(_ => { }); // the subscription delivers the value once it is known
        Receive<ExperimentRequest>(Decide);
        Receive<UpdateSuccess>(u => u.Request is Written w, u => Confirm((Written)u.Request!, null));
        Receive<UpdateTimeout>(u => u.Request is Written w, u => Confirm((Written)u.Request!, "not yet confirmed by a majority of nodes; it spreads by gossip"));
        Receive<ModifyFailure>(u => u.Request is Written, u => ((Written)u.Request!).ReplyTo.Tell(ExperimentDecision.Refuse($"the change could not be applied: {u.ErrorMessage}")));
        Receive<StoreFailure>(u => u.Request is Written, u => ((Written)u.Request!).ReplyTo.Tell(ExperimentDecision.Refuse("the change could not be stored durably")));
        Receive<Flush>(_ => FlushDeltas(null));
        Receive<FlushTally>(_ => FlushDeltas(Sender));
        Receive<UpdateSuccess>(u => u.Request is IActorRef, u => ((IActorRef)u.Request!).Tell(Flushed.Instance));
        Receive<IUpdateResponse>(u => { if (u.Request is IActorRef replyTo) replyTo.Tell(Flushed.Instance); });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props PropsFor(ExperimentDirectory directory, ExperimentTally tally, TimeProvider? time = null) =>
        Props.Create(() => new ExperimentReplicator(directory, tally, time));

    public static PNCounterDictionaryKey<string> CountersKey(string experiment) => new($"experiment-counters-{experiment}");

    public static ItemSketchesKey SketchesKey(string experiment) => new($"experiment-items-{experiment}");

    protected override void PreStart()
    {
        _replicator.Tell(Dsl.Subscribe(ExperimentsKey, Self));
        _replicator.Tell(Dsl.Get(ExperimentsKey, ReadLocal.Instance));
        Timers.StartPeriodicTimer("flush", Flush.Instance, FlushInterval);
    }

    private void Adopt(LWWDictionary<string, ExperimentDefinition> replicated) =>
        _directory.Replace(replicated.Entries.ToImmutableDictionary(StringComparer.Ordinal));

    private void Decide(ExperimentRequest request)
    {
        var now = _time.GetUtcNow();
        var decision = ExperimentRules.Decide(_directory.All, request.Command,
            model => request.ModelProblems.TryGetValue(model, out var problem) ? problem : "it was not checked on this node", now);
        if (decision.Accepted is not { } next)
        {
            Sender.Tell(decision);
            return;
        }

        var self = _cluster.SelfUniqueAddress;
        _replicator.Tell(Dsl.Update(ExperimentsKey, LWWDictionary<string, ExperimentDefinition>.Empty, new WriteMajority(WriteTimeout),
            new Written(Sender, decision), map => map.SetItem(self, next.Name, next)));
    }

    private void Confirm(Written written, string? caveat)
    {
        // The subscription brings the new value too; adopting it here makes a node's own change visible at once.
        var next = written.Decision.Accepted!;
        _directory.Replace(_directory.All.SetItem(next.Name, next));
        _log.Info("Experiment {0} is {1} (revision {2}){3}", next.Name, next.Status, next.Revision, caveat is null ? "" : "; " + caveat);
        written.ReplyTo.Tell(written.Decision);
    }

    private void FlushDeltas(IActorRef? replyTo)
    {
        var deltas = _tally.TakeDeltas();
        if (deltas.Count == 0)
        {
            replyTo?.Tell(Flushed.Instance);
            return;
        }

        var self = _cluster.SelfUniqueAddress;
        var byExperiment = deltas.GroupBy(d => d.Experiment).ToList();
        for (var e = 0; e < byExperiment.Count; e++)
        {
            var group = byExperiment[e].ToList();
            // Only the last update of a flush answers the asker: updates of one replicator are applied in order.
            var last = e == byExperiment.Count - 1 ? (object?)replyTo : null;
            var sketches = group.Where(d => d.Sketch is not null).ToList();
            if (sketches.Count > 0)
            {
                _replicator.Tell(Dsl.Update(SketchesKey(group[0].Experiment), ItemSketches.Empty, WriteLocal.Instance, null, s =>
                {
                    foreach (var d in sketches) s = s.Add(d.Variant, d.Sketch!);
                    return s;
                }));
            }

            _replicator.Tell(Dsl.Update(CountersKey(group[0].Experiment), PNCounterDictionary<string>.Empty, WriteLocal.Instance, last, counters =>
            {
                foreach (var d in group)
                    for (var i = 0; i < d.Counters.Length; i++)
                        if (d.Counters[i] != 0) counters = counters.Increment(self, CounterName(d.Variant, i), d.Counters[i]);
                return counters;
            }));
        }
    }

    /// <summary>The replicated counter of a variant: "variant/counter".</summary>
    public static string CounterName(string variant, int counter) => $"{variant}/{VariantTotals.Counters[counter]}";

    private sealed record Flush
    {
        public static readonly Flush Instance = new();
    }

    private sealed record Written(IActorRef ReplyTo, ExperimentDecision Decision);
}

/// <summary>The key of an experiment's <see cref="ItemSketches"/>.</summary>
public sealed class ItemSketchesKey(string id) : Key<ItemSketches>(id);
