using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using Personalization.Actors.Events;
using Personalization.Actors.Model;
using Personalization.Actors.Telemetry;

namespace Personalization.Actors.Sessions;

/// <summary>
/// The one live writer of a user's session (sharded by user id). Events are applied strictly in arrival order: while a
/// model step is in flight, later events wait and then go to the model together. The session is persisted as a
/// checkpoint every <see cref="UserSessionSettings.CheckpointInterval"/> or <see cref="UserSessionSettings.CheckpointEveryEvents"/>;
/// only then are the covered Kafka offsets acknowledged (invariant 1). Kafka is the event log; the journal holds checkpoints.
/// </summary>
public sealed class UserSessionActor : UntypedPersistentActor
{
    private readonly string _userId;
    private readonly UserSessionSettings _settings;
    private readonly IModelProvider _models;
    private readonly Address _selfAddress = Akka.Cluster.Cluster.Get(Context.System).SelfAddress;

    // Events waiting for the model, queries waiting for a ranking, events waiting for their checkpoint's ack: null while
    // there are none, which is most of a live user's time (a node holds one actor per live user).
    private Queue<ApplyEvent>? _waiting;
    private List<GetRecommendationsRequest>? _waitingQueries;
    private List<ApplyEvent>? _pendingAcks;

    private UserSession _session;
    private PartitionOffsets _durable = new();
    private int _eventsSinceCheckpoint;
    private int _checkpointsInFlight;
    private bool _stepInFlight;
    private bool _scoreInFlight;
    private bool _stopping;
    private Ranking? _ranking;

    // Pending timers: the message each one will deliver (null: none). Not IWithTimers, whose TimerScheduler and its
    // dictionary cost ~230 B per user; a message that is not the pending one is from a cancelled timer and ignored.
    private CheckpointDue? _checkpointDue;
    private RetryStep? _retryDue;

    /// <summary>The user is the one the actor is named after (<see cref="PropsFor"/>).</summary>
    public UserSessionActor(UserSessionSettings settings, IModelProvider models)
    {
        var userId = UserIdOf(Self);
        _userId = userId;
        _settings = settings;
        _models = models;
        _session = new UserSession(userId, settings.RecentItems);
    }

    // Built when Akka asks (recovery, each persist) rather than kept: one string fewer per live user.
    public override string PersistenceId => PersistenceIdFor(_userId);

    private int WaitingCount => _waiting?.Count ?? 0;

    // A type switch, not ReceivePersistentActor's Recover<T>/Command<T>: those build handler tables and closures per
    // instance (~2.2 KB per user).
    protected override void OnRecover(object message)
    {
        switch (message)
        {
            // Stores written before checkpoints replaced snapshots may still offer one: it is a checkpoint like the others.
            case SnapshotOffer { Snapshot: UserCheckpoint checkpoint }:
                Restore(checkpoint);
                break;
            case UserCheckpoint checkpoint:
                Restore(checkpoint);
                break;
            case RecoveryCompleted:
                _durable = _session.AppliedOffsets.Clone();
                break;
        }
    }

    protected override void OnCommand(object message)
    {
        switch (message)
        {
            case ApplyEvent evt:
                // The source that sent it lives on another node: the event crossed the network (0 in steady state).
                if (evt.AckTo is { Path.Address.HasGlobalScope: true } ackTo && ackTo.Path.Address != _selfAddress) EngineMetrics.RemoteDeliveries.Inc();
                (_waiting ??= new Queue<ApplyEvent>()).Enqueue(evt);
                if (!_stepInFlight) ProcessWaiting();
                break;
            case StepCompleted done:
                OnStepCompleted(done);
                break;
            case StepFailed failed:
                OnStepFailed(failed);
                break;
            case RetryStep retry when retry == _retryDue:
                _retryDue = null;
                if (!_stepInFlight) ProcessWaiting();
                break;
            case CheckpointDue due when due == _checkpointDue:
                Checkpoint();
                break;
            case TimerMessage:
                break;
            case GetRecommendations query:
                OnQuery(new GetRecommendationsRequest(query.K, Sender));
                break;
            case RankingCompleted done:
                OnRankingCompleted(done);
                break;
            case RankingFailed failed:
                OnRankingFailed(failed);
                break;
            case GetSession:
                Sender.Tell(View());
                break;
            case StopUser:
                _stopping = true;
                StopWhenSettled();
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    public static string PersistenceIdFor(string userId) => "user-" + userId;

    /// <summary>
    /// The Props of every user actor, shared (per-entity Props with the user id cost ~220 B per live user): an actor
    /// is the user it is named after, URI-escaped as sharding names an entity by its id (see <see cref="UserIdOf"/>).
    /// The actor system needs <see cref="UserMailbox.Hocon"/> (user actors run on <see cref="UserMailbox"/>).
    /// </summary>
    public static Props PropsFor(UserSessionSettings settings, IModelProvider models) =>
        Props.Create(() => new UserSessionActor(settings, models)).WithMailbox(UserMailbox.Id);

    /// <summary>
    /// The user id of a user actor: its name, unescaped (sharding names an entity Uri.EscapeDataString(id); the name is the
    /// id itself, same string, when nothing needed escaping). Exact for every well-formed string, which is every id that
    /// reaches a node: they are decoded from UTF-8 (JSON, HTTP paths, protobuf).
    /// </summary>
    public static string UserIdOf(IActorRef user) => Uri.UnescapeDataString(user.Path.Name);

    protected override void PostStop()
    {
        _checkpointDue?.Cancel();
        _retryDue?.Cancel();
        base.PostStop();
    }

    private T Schedule<T>(T message, TimeSpan delay) where T : TimerMessage
    {
        message.Timer = Context.System.Scheduler.ScheduleTellOnceCancelable(delay, Self, message, Self);
        return message;
    }

    private void Restore(UserCheckpoint checkpoint)
    {
        var vocabulary = _models.ForUser(_userId).Vocabulary;
        _session = UserSession.FromCheckpoint(_userId, _settings.RecentItems, checkpoint, vocabulary.Intern);
    }

    /// <summary>Takes the waiting events in order, drops redeliveries, and runs one model step for the rest.</summary>
    private void ProcessWaiting()
    {
        var runtime = _models.ForUser(_userId);
        var rebuild = _session.ModelVersion is not null && _session.ModelVersion != runtime.Version;
        if (WaitingCount == 0 && !rebuild) return;

        var batch = new List<ApplyEvent>(Math.Min(WaitingCount, _settings.MaxEventsPerStep));
        var items = new List<int>();
        var seen = _session.AppliedOffsets.Clone();
        if (rebuild)
        {
            // Another model (another state space): rebuild the state from the items the session remembers.
            for (var i = 0; i < _session.Recent.Count; i++)
            {
                var recent = _session.Recent[i];
                var index = recent.Type.AdvancesModel() ? runtime.Vocabulary.IndexOf(recent.ItemId) : 0;
                if (index > 0) items.Add(index);
            }
        }

        if (rebuild && items.Count == 0)
            _session.SetModelState(new float[runtime.StateSize], runtime.Name, runtime.Version, 0);

        List<ApplyEvent>? gaps = null;
        while (WaitingCount > 0 && batch.Count < _settings.MaxEventsPerStep)
        {
            var evt = _waiting!.Dequeue();
            if (evt.Offset >= 0 && seen.Covers(evt.Partition, evt.Offset))
            {
                AcknowledgeDuplicate(evt);
                continue;
            }

            if (evt.PreviousOffset >= 0 && !seen.Covers(evt.Partition, evt.PreviousOffset))
            {
                // Its predecessor never reached us: applying this one would reorder the history for good. Drop it
                // (unacknowledged) and have the source read the partition again; later ones follow it the same way.
                (gaps ??= []).Add(evt);
                continue;
            }

            if (evt.Offset >= 0) seen.Advance(evt.Partition, evt.Offset);
            batch.Add(evt);
            var index = evt.Type.AdvancesModel() ? runtime.Vocabulary.IndexOf(evt.ItemId) : 0;
            if (index > 0) items.Add(index);
        }

        if (_waiting is { Count: 0 }) _waiting = null;
        if (gaps is not null) RequestRedelivery(gaps);
        if (items.Count == 0)
        {
            if (batch.Count > 0) Commit(batch, null, runtime, 0, false);
            if (WaitingCount > 0) ProcessWaiting();
            return;
        }

        _stepInFlight = true;
        var state = rebuild || _session.State is null ? new float[runtime.StateSize] : _session.State;
        var stepCount = items.Count;
        runtime.StepAsync(state, items.ToArray()).PipeTo(
            Self,
            success: next => new StepCompleted(batch, next, runtime, stepCount, rebuild),
            failure: ex => new StepFailed(batch, ex));
    }

    private void OnStepFailed(StepFailed failed)
    {
        _stepInFlight = false;
        EngineMetrics.StepFailures.Inc();
        // Put the batch back in front, in order: nothing is lost or reordered by a failed step.
        var requeued = new Queue<ApplyEvent>(failed.Events);
        if (_waiting is not null)
            foreach (var evt in _waiting) requeued.Enqueue(evt);
        _waiting = requeued;
        Log.Warning(failed.Cause, "Model step for user {0} failed; {1} events stay queued and are retried", _userId, _waiting.Count);
        _retryDue?.Cancel();
        _retryDue = Schedule(new RetryStep(), _settings.StepRetryDelay);
    }

    private void OnStepCompleted(StepCompleted done)
    {
        _stepInFlight = false;
        Commit(done.Events, done.State, done.Runtime, done.Steps, done.Rebuilt);
        if (_waitingQueries is { Count: > 0 }) OnQuery(null);
        if (WaitingCount > 0 && !_stepInFlight) ProcessWaiting();
        else if (_stopping) StopWhenSettled();
    }

    /// <summary>Makes a batch part of the session at once: events, their offsets and the state that reflects them.</summary>
    private void Commit(List<ApplyEvent> events, float[]? state, IModelRuntime runtime, int steps, bool rebuilt)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        foreach (var evt in events)
        {
            _session.Apply(runtime.Vocabulary.Intern(evt.ItemId), evt.Type, evt.Timestamp, evt.Partition, evt.Offset);
            if (evt.AckTo is not null && evt.Offset >= 0) (_pendingAcks ??= []).Add(evt);
            EngineMetrics.Freshness.Observe(Math.Max(0, now - evt.Timestamp) / 1000.0);
        }

        EngineMetrics.EventsApplied.Inc(events.Count);
        if (state is not null)
        {
            EngineMetrics.ModelSteps.Inc(steps);
            _session.SetModelState(state, runtime.Name, runtime.Version, rebuilt ? steps : _session.ModelSteps + steps);
        }

        _ranking = null;
        _eventsSinceCheckpoint += events.Count;
        if (_eventsSinceCheckpoint >= _settings.CheckpointEveryEvents) Checkpoint();
        else if (_eventsSinceCheckpoint > 0 && _checkpointDue is null)
            _checkpointDue = Schedule(new CheckpointDue(), _settings.CheckpointInterval);
    }

    private void RequestRedelivery(List<ApplyEvent> gaps)
    {
        EngineMetrics.EventsOutOfOrder.Inc(gaps.Count);
        foreach (var group in gaps.Where(g => g.AckTo is not null).GroupBy(g => (g.AckTo!, g.Partition)))
        {
            Log.Debug("User {0}: event at offset {1} of partition {2} came before its predecessor at {3}; asking for redelivery",
                _userId, group.First().Offset, group.Key.Partition, group.First().PreviousOffset);
            group.Key.Item1.Tell(new RedeliveryNeeded(group.Key.Partition));
        }
    }

    private void AcknowledgeDuplicate(ApplyEvent evt)
    {
        EngineMetrics.DuplicatesSkipped.Inc();
        if (evt.AckTo is null) return;
        // Already durable: ack now. Applied but not yet checkpointed: the next checkpoint covers it.
        if (_durable.Covers(evt.Partition, evt.Offset)) evt.AckTo.Tell(new EventsDurable(evt.Partition, [evt.Offset]));
        else (_pendingAcks ??= []).Add(evt);
    }

    private void Checkpoint()
    {
        _checkpointDue?.Cancel();
        _checkpointDue = null;
        if (_eventsSinceCheckpoint == 0 && _pendingAcks is null) return;
        var checkpoint = _session.ToCheckpoint();
        var acks = _pendingAcks;
        _pendingAcks = null;
        _eventsSinceCheckpoint = 0;
        _checkpointsInFlight++;
        // PersistAsync: events keep flowing while the database writes; the acks wait for the write.
        PersistAsync(checkpoint, persisted =>
        {
            _checkpointsInFlight--;
            EngineMetrics.CheckpointsPersisted.Inc();
            foreach (var (partition, offset) in persisted.AppliedOffsets) _durable.Advance(partition, offset);
            SendAcks(acks);
            if (_stopping) StopWhenSettled();
        });
    }

    private static void SendAcks(List<ApplyEvent>? acks)
    {
        if (acks is null) return;
        EngineMetrics.EventsAcknowledged.Inc(acks.Count);
        foreach (var group in acks.GroupBy(a => (a.AckTo!, a.Partition)))
            group.Key.Item1.Tell(new EventsDurable(group.Key.Partition, group.Select(a => a.Offset).ToArray()));
    }

    /// <summary>Stops once nothing applied is left undurable; events still waiting are not acked, so Kafka redelivers them.</summary>
    private void StopWhenSettled()
    {
        if (_stepInFlight) return;
        if (_eventsSinceCheckpoint > 0 || _pendingAcks is not null) Checkpoint();
        if (_checkpointsInFlight == 0) Context.Stop(Self);
    }

    private void OnQuery(GetRecommendationsRequest? query)
    {
        if (query is not null) (_waitingQueries ??= []).Add(query);
        var runtime = _models.ForUser(_userId);
        if (_session.State is null)
        {
            AnswerColdStart(runtime);
            return;
        }

        if (_session.ModelVersion != runtime.Version)
        {
            // The model was swapped: the state is rebuilt first, the queries are answered after it.
            if (!_stepInFlight) ProcessWaiting();
            return;
        }

        var queries = _waitingQueries ??= [];
        var largest = queries.Max(q => q.K);
        if (_ranking is { } cached && cached.ModelSteps == _session.ModelSteps && cached.EventCount == _session.EventCount
            && (cached.Items.Length >= largest || cached.Items.Length < cached.Size))
        {
            foreach (var q in queries) q.ReplyTo.Tell(Answer(cached, q.K, runtime));
            _waitingQueries = null;
            return;
        }

        if (_scoreInFlight) return;
        _scoreInFlight = true;
        var size = Math.Max(largest, _settings.CachedRankingSize);
        var exclude = SeenItems(runtime.Vocabulary);
        var steps = _session.ModelSteps;
        var events = _session.EventCount;
        runtime.TopKAsync(_session.State, size, exclude).PipeTo(
            Self,
            success: items => new RankingCompleted(new Ranking(items, steps, events, size)),
            failure: ex => new RankingFailed(ex, runtime));
    }

    private void OnRankingCompleted(RankingCompleted done)
    {
        _scoreInFlight = false;
        var runtime = _models.ForUser(_userId);
        _ranking = done.Ranking;
        // Answer with the ranking even if an event landed meanwhile (it is at most one step old); the next query recomputes.
        var remaining = new List<GetRecommendationsRequest>();
        if (_waitingQueries is not null)
            foreach (var q in _waitingQueries)
            {
                if (q.K <= done.Ranking.Size || done.Ranking.Items.Length < done.Ranking.Size) q.ReplyTo.Tell(Answer(done.Ranking, q.K, runtime));
                else remaining.Add(q);
            }

        _waitingQueries = null;
        if (remaining.Count > 0)
        {
            _ranking = null;
            _waitingQueries = remaining;
            OnQuery(null);
        }
    }

    private void OnRankingFailed(RankingFailed failed)
    {
        _scoreInFlight = false;
        if (failed.Cause is ObjectDisposedException && _models.ForUser(_userId) != failed.Runtime)
        {
            // The model was swapped under the query: answer with the new one (after the state is rebuilt).
            OnQuery(null);
            return;
        }

        Log.Warning(failed.Cause, "Scoring for user {0} failed", _userId);
        if (_waitingQueries is not null)
            foreach (var q in _waitingQueries) q.ReplyTo.Tell(new Status.Failure(failed.Cause));
        _waitingQueries = null;
    }

    private Recommendations Answer(Ranking ranking, int k, IModelRuntime runtime)
    {
        var count = Math.Min(k, ranking.Items.Length);
        var items = new RecommendedItem[count];
        for (var i = 0; i < count; i++)
            items[i] = new RecommendedItem(runtime.Vocabulary.IdAt(ranking.Items[i].Index), ranking.Items[i].Score);
        EngineMetrics.Recommendations.WithLabels("model").Inc();
        return new Recommendations(_userId, items, runtime.Name, runtime.Version, ranking.EventCount, false);
    }

    private void AnswerColdStart(IModelRuntime runtime)
    {
        var exclude = SeenItems(runtime.Vocabulary);
        foreach (var q in _waitingQueries ?? [])
        {
            var items = new List<RecommendedItem>(q.K);
            var rank = 0;
            foreach (var index in runtime.PopularItems)
            {
                rank++;
                if (exclude.Contains(index)) continue;
                // Popular lists have no model score: a decreasing rank-based score keeps the order explicit.
                items.Add(new RecommendedItem(runtime.Vocabulary.IdAt(index), 1f / rank));
                if (items.Count == q.K) break;
            }

            q.ReplyTo.Tell(new Recommendations(_userId, items, runtime.Name, runtime.Version, _session.EventCount, true));
            EngineMetrics.Recommendations.WithLabels("cold_start").Inc();
        }

        _waitingQueries = null;
    }

    private HashSet<int> SeenItems(ItemVocabulary vocabulary)
    {
        var seen = new HashSet<int>();
        for (var i = 0; i < _session.Recent.Count; i++)
        {
            var index = vocabulary.IndexOf(_session.Recent[i].ItemId);
            if (index > 0) seen.Add(index);
        }

        return seen;
    }

    private SessionView View() => new(
        _userId, _session.EventCount, _session.Plays, _session.Skips, _session.Likes, _session.PlaylistAdds,
        _session.FirstEventAt, _session.LastEventAt, _session.Recent.ToList(), _session.ModelVersion, _session.ModelSteps,
        _session.AppliedOffsets.Entries().ToArray(), _durable.Entries().ToArray());

    private sealed record GetRecommendationsRequest(int K, IActorRef ReplyTo);

    private sealed record Ranking(ScoredItem[] Items, long ModelSteps, long EventCount, int Size);

    private sealed record StepCompleted(List<ApplyEvent> Events, float[] State, IModelRuntime Runtime, int Steps, bool Rebuilt);

    private sealed record StepFailed(List<ApplyEvent> Events, Exception Cause);

    private sealed record RankingCompleted(Ranking Ranking);

    private sealed record RankingFailed(Exception Cause, IModelRuntime Runtime);

    /// <summary>A message a timer delivers to this actor; it can cancel its timer.</summary>
    private abstract class TimerMessage
    {
        public ICancelable? Timer { get; set; }

        public void Cancel() => Timer?.Cancel();
    }

    private sealed class CheckpointDue : TimerMessage;

    private sealed class RetryStep : TimerMessage;
}
