using Akka.Actor;
using Personalization.Actors.Delivery;
using Personalization.Actors.Events;
using Personalization.Actors.Model;
using Personalization.Actors.Quality;
using Personalization.Actors.Telemetry;

using Personalization.Actors.Serving;

namespace Personalization.Actors.Sessions;

/// <summary>
/// One user's session and every rule of it, free of Akka (docs/DESIGN.md, "The user session"): each message the actor
/// receives is handed here with the model that serves the user and the time, and comes back as
/// <see cref="SessionDecision"/>s — step the model, rank, persist a checkpoint, acknowledge, ask for redelivery, reply,
/// schedule, stop. The actor only carries them out.
/// <list type="bullet">
/// <item>Events are applied strictly in arrival order; while a step is in flight, later events wait and then go to the
/// model together (up to <see cref="UserSessionSettings.MaxEventsPerStep"/>).</item>
/// <item>Duplicates, gaps and acknowledgements follow <see cref="UserDelivery"/>.</item>
/// <item>A checkpoint is due <see cref="UserSessionSettings.CheckpointInterval"/> after the first event it covers, or
/// after <see cref="UserSessionSettings.CheckpointEveryEvents"/> events.</item>
/// <item>A model swap rebuilds the state from the recent items before anything else is stepped or ranked.</item>
/// <item>A ranking is cached until the next event or model change; users with no state get the popular items.</item>
/// <item>Companion models (<see cref="IModelProvider.CompanionsFor"/>) get every applied batch through
/// <see cref="CompanionStates"/>; they never hold up an acknowledgement, a checkpoint or a stop.</item>
/// </list>
/// The methods that may apply a batch take the provider of companions (<c>companions</c>), asked once per applied batch;
/// without one the companions held are kept and fed, none is added or dropped.
/// Metrics are counted here (a side channel, not behaviour).
/// </summary>
public sealed class UserSession
{
    private readonly UserSessionSettings _settings;
    private readonly UserDelivery _delivery = new();

    // Events waiting for the model and queries waiting for a ranking: null while there are none, which is most of a
    // live user's time (a node holds one session per live user).
    private Queue<ApplyEvent>? _waiting;
    private List<WaitingQuery>? _queries;
    private Ranking? _ranking;
    private Experiments.ImpressionLedger? _impressions; // only users who were shown an experiment's answer
    private CompanionStates? _companions; // null while the user has none: almost every user
    private int _eventsSinceCheckpoint;
    private int _checkpointsInFlight;
    private bool _checkpointScheduled;
    private bool _stepInFlight;
    private bool _rankingInFlight;
    private bool _stopping;

    public UserSession(string userId, UserSessionSettings settings)
    {
        _settings = settings;
        Record = new SessionRecord(userId, settings.RecentItems);
    }

    public string UserId => Record.UserId;

    /// <summary>The data the session holds and checkpoints.</summary>
    public SessionRecord Record { get; private set; }

    public PartitionOffsets DurableOffsets => _delivery.Durable;

    /// <summary>The companion model states the session keeps; null while it keeps none (read-only use: inspection, tests).</summary>
    public CompanionStates? Companions => _companions;

    /// <summary>True once every applied event is durable, no step or checkpoint is in flight and nothing waits.</summary>
    public bool IsSettled => !_stepInFlight && _checkpointsInFlight == 0 && _eventsSinceCheckpoint == 0 && !_delivery.HasWaitingAcks;

    private int WaitingCount => _waiting?.Count ?? 0;

    // ---- recovery -------------------------------------------------------------------------------------------------

    /// <summary>Recovery offered a checkpoint: it replaces whatever was restored before.</summary>
    public void Restore(UserCheckpoint checkpoint, Func<string, string>? intern = null) =>
        Record = SessionRecord.FromCheckpoint(Record.UserId, _settings.RecentItems, checkpoint, intern);

    /// <summary>Recovery is over: what it restored is durable by definition.</summary>
    public void RecoveryCompleted() => _delivery.Recovered(Record.AppliedOffsets);

    // ---- events ---------------------------------------------------------------------------------------------------

    /// <summary>An event arrived: it waits its turn; if no step is in flight, the waiting events go to the model.</summary>
    public void EventArrived(ApplyEvent evt, IModelRuntime model, long nowMs, List<SessionDecision> decide, IModelProvider? companions = null)
    {
        (_waiting ??= new Queue<ApplyEvent>()).Enqueue(evt);
        if (!_stepInFlight) ProcessWaiting(model, nowMs, decide, companions);
    }

    /// <summary>A model step finished: its events and the new state become part of the session at once.</summary>
    public void StepCompleted(
        StepBatch batch, float[] state, IModelRuntime steppedWith, IModelRuntime model, long nowMs, List<SessionDecision> decide, IModelProvider? companions = null)
    {
        _stepInFlight = false;
        Commit(batch.Events, state, steppedWith, batch.Steps, batch.Rebuild, nowMs, decide, companions);
        if (_queries is not null) AnswerQueries(model, nowMs, decide, companions);
        if (WaitingCount > 0 && !_stepInFlight) ProcessWaiting(model, nowMs, decide, companions);
        else if (_stopping) StopWhenSettled(decide);
    }

    /// <summary>A model step failed: its events go back in front, in order (nothing lost or reordered), and are retried later.</summary>
    public void StepFailed(StepBatch batch, List<SessionDecision> decide)
    {
        _stepInFlight = false;
        EngineMetrics.StepFailures.Inc();
        var requeued = new Queue<ApplyEvent>(batch.Events);
        if (_waiting is not null)
            foreach (var evt in _waiting) requeued.Enqueue(evt);
        _waiting = requeued;
        decide.Add(new ScheduleStepRetry(_settings.StepRetryDelay, _waiting.Count));
    }

    /// <summary>The retry delay after a failed step is over.</summary>
    public void RetryDue(IModelRuntime model, long nowMs, List<SessionDecision> decide, IModelProvider? companions = null)
    {
        if (!_stepInFlight) ProcessWaiting(model, nowMs, decide, companions);
    }

    /// <summary>Takes the waiting events in order, drops redeliveries and gaps, and asks for one model step for the rest.</summary>
    private void ProcessWaiting(IModelRuntime model, long nowMs, List<SessionDecision> decide, IModelProvider? companions)
    {
        var rebuild = Record.ModelVersion is not null && Record.ModelVersion != model.Version;
        if (WaitingCount == 0 && !rebuild) return;

        var events = new List<ApplyEvent>(Math.Min(WaitingCount, _settings.MaxEventsPerStep));
        var items = new List<int>();
        if (rebuild)
        {
            // Another model is another state space: the state is rebuilt from the items the session remembers.
            for (var i = 0; i < Record.Recent.Count; i++)
            {
                var recent = Record.Recent[i];
                var index = recent.Type.AdvancesModel() ? model.Vocabulary.IndexOf(recent.ItemId) : 0;
                if (index > 0) items.Add(index);
            }

            if (items.Count == 0)
            {
                // Nothing the new model knows: its state for this user is the new-user state.
                Record.SetModelState(new float[model.StateSize], model.Name, model.Version, 0);
                _ranking = null;
                rebuild = false;
            }
        }

        var accepted = Record.AppliedOffsets.Clone();
        var latest = Record.LastEventAt;
        var hasPrevious = Record.EventCount > 0;
        List<DeliveryTag>? gaps = null;
        while (WaitingCount > 0 && events.Count < _settings.MaxEventsPerStep)
        {
            var evt = _waiting!.Dequeue();
            switch (UserDelivery.Classify(evt.Delivery, accepted))
            {
                case Arrival.Duplicate:
                    EngineMetrics.DuplicatesSkipped.Inc();
                    DataQualityMetrics.Count(DataQualitySignal.DuplicateOffset, evt.Partition);
                    if (_delivery.Duplicate(evt.Delivery) is { } ack) decide.Add(new SendAcknowledgement(ack));
                    else if (_checkpointsInFlight == 0) EnsureCheckpointScheduled(decide);
                    continue;
                case Arrival.Gap:
                    // Applying it would reorder the history for good: drop it (unacknowledged) and have the source
                    // read the partition again; the later events of this partition follow it the same way.
                    (gaps ??= []).Add(evt.Delivery);
                    continue;
            }

            if (evt.Delivery.HasOffset) accepted.Advance(evt.Partition, evt.Offset);
            events.Add(evt);
            var index = model.Vocabulary.IndexOf(evt.ItemId);
            if (evt.Delivery.HasOffset)
            {
                // Data quality (README, "Data quality"): counted, never refused; the event applies in arrival order.
                if (index <= 0) DataQualityMetrics.Count(DataQualitySignal.UnknownItem, evt.Partition);
                if (EventTimeRules.IsOutOfTimeOrder(evt.Timestamp, latest, hasPrevious)) DataQualityMetrics.Count(DataQualitySignal.OutOfTimeOrder, evt.Partition);
            }

            latest = hasPrevious ? Math.Max(latest, evt.Timestamp) : evt.Timestamp;
            hasPrevious = true;
            if (index > 0 && evt.Type.AdvancesModel()) items.Add(index);
        }

        if (_waiting is { Count: 0 }) _waiting = null;
        if (gaps is not null)
        {
            EngineMetrics.EventsOutOfOrder.Inc(gaps.Count);
            foreach (var request in UserDelivery.RedeliveriesFor(gaps)) decide.Add(new AskForRedelivery(request));
        }

        if (items.Count == 0)
        {
            // Nothing for the model (skips, unknown items, duplicates): the events are part of the session at once.
            if (events.Count > 0) Commit(events, null, model, 0, false, nowMs, decide, companions);
            if (_queries is not null && !_rankingInFlight) AnswerQueries(model, nowMs, decide, companions);
            if (WaitingCount > 0) ProcessWaiting(model, nowMs, decide, companions);
            else if (_stopping) StopWhenSettled(decide);
            return;
        }

        _stepInFlight = true;
        var state = rebuild || Record.State is null ? new float[model.StateSize] : Record.State;
        decide.Add(new StepModel(model, state, [.. items], new StepBatch(events, items.Count, rebuild)));
    }

    /// <summary>Makes a batch part of the session at once: events, their offsets and the state that reflects them.</summary>
    private void Commit(
        List<ApplyEvent> events, float[]? state, IModelRuntime model, int steps, bool rebuilt, long nowMs, List<SessionDecision> decide, IModelProvider? companions)
    {
        foreach (var evt in events)
        {
            Record.Apply(model.Vocabulary.Intern(evt.ItemId), evt.Type, evt.Timestamp, evt.Partition, evt.Offset);
            _delivery.Applied(evt.Delivery);
            EngineMetrics.Freshness.Observe(Math.Max(0, nowMs - evt.Timestamp) / 1000.0);
            _impressions?.Applied(evt, _settings.AttributionWindow, decide);
        }

        EngineMetrics.EventsApplied.Inc(events.Count);
        if (state is not null)
        {
            EngineMetrics.ModelSteps.Inc(steps);
            Record.SetModelState(state, model.Name, model.Version, rebuilt ? steps : Record.ModelSteps + steps);
        }

        _ranking = null;
        if (!_stopping) CompanionsApplied(events, companions, decide);
        if (Record.State is not null) decide.Add(PublishServingView.Instance);
        _eventsSinceCheckpoint += events.Count;
        if (_eventsSinceCheckpoint >= _settings.CheckpointEveryEvents) Checkpoint(decide);
        else if (_eventsSinceCheckpoint > 0) EnsureCheckpointScheduled(decide);
    }

    // ---- companions -----------------------------------------------------------------------------------------------

    /// <summary>
    /// An applied batch reaches the companions. For a user without companions (the provider names none and the session
    /// holds none) this costs one call to the provider and nothing else: no allocation, no decision.
    /// </summary>
    private void CompanionsApplied(List<ApplyEvent> events, IModelProvider? companions, List<SessionDecision> decide)
    {
        var named = companions?.CompanionsFor(UserId);
        if (named is { Count: 0 })
        {
            _companions = null; // none named any more: every companion state is dropped
            return;
        }

        if (named is not null) _companions ??= new CompanionStates();
        _companions?.Applied(events, named, Record, decide);
    }

    /// <summary>A companion's step finished: its state moves on and the serving view shows it.</summary>
    public void CompanionStepCompleted(CompanionStep step, float[] state, List<SessionDecision> decide)
    {
        if (_companions?.StepCompleted(step, state, decide) == true && Record.State is not null) decide.Add(PublishServingView.Instance);
    }

    /// <summary>A companion's step failed: that companion's state is dropped (counted), and built again on its next use.</summary>
    public void CompanionStepFailed(CompanionStep step, List<SessionDecision> decide)
    {
        if (_companions?.StepFailed(step) != true) return;
        if (_companions.Count == 0) _companions = null;
        if (Record.State is not null) decide.Add(PublishServingView.Instance);
    }

    /// <summary>
    /// "What next?" ranked with companion <paramref name="companion"/>'s state: the cached ranking of that state, or a new
    /// ranking; the companion's popular items minus the recent ones, marked cold start, while its state is being built;
    /// a failure (<see cref="UnknownCompanionException"/>) when the user keeps no state of that model. Companions are
    /// brought in line with <paramref name="companions"/> first, so a companion named since the last batch is built now.
    /// </summary>
    public void CompanionQueryArrived(ModelKey companion, int k, IActorRef replyTo, IModelProvider? companions, List<SessionDecision> decide)
    {
        if (!_stopping && companions?.CompanionsFor(UserId) is { } named)
        {
            if (named.Count == 0) _companions = null;
            else if ((_companions ??= new CompanionStates()).Refresh(named, Record, decide) && Record.State is not null) decide.Add(PublishServingView.Instance);
        }

        if (_companions?.Find(companion) is not { } held)
        {
            var keys = _companions?.All.Select(c => c.Key).ToArray() ?? [];
            decide.Add(new Reply(replyTo, new Status.Failure(new UnknownCompanionException(UserId, companion, keys))));
            return;
        }

        if (held.State is null)
        {
            decide.Add(new Reply(replyTo, ColdAnswer(held.Runtime, k)));
            return;
        }

        if (held.Ranking is { } cached && cached.Model == held.Runtime && cached.Answers(k))
        {
            decide.Add(new Reply(replyTo, Answer(cached, k, "companion")));
            return;
        }

        var size = Math.Max(k, _settings.CachedRankingSize);
        decide.Add(new RankCompanion(held.Runtime, held.State, SeenItems(held.Runtime.Vocabulary),
            new CompanionQuery(companion, k, replyTo, size, held.Steps, held.Events, Record.EventCount)));
    }

    /// <summary>A companion's ranking finished: it answers its query, and is cached if the companion and the session are still where it started.</summary>
    public void CompanionRankingCompleted(CompanionQuery query, ScoredItem[] items, IModelRuntime rankedWith, List<SessionDecision> decide)
    {
        var ranking = new Ranking(items, rankedWith, query.Steps, query.Events, query.Size);
        if (_companions?.Find(query.Companion) is { } held && held.Runtime == rankedWith && held.Steps == query.Steps &&
            held.Events == query.Events && Record.EventCount == query.SessionEvents && !held.StepInFlight)
            held.Ranking = ranking;
        decide.Add(new Reply(query.ReplyTo, Answer(ranking, query.K, "companion")));
    }

    /// <summary>A companion's ranking failed: its query gets the failure.</summary>
    public void CompanionRankingFailed(CompanionQuery query, Exception cause, List<SessionDecision> decide) =>
        decide.Add(new Reply(query.ReplyTo, new Status.Failure(cause)));

    // ---- checkpoints ----------------------------------------------------------------------------------------------

    /// <summary>The checkpoint interval is over.</summary>
    public void CheckpointDue(List<SessionDecision> decide)
    {
        _checkpointScheduled = false;
        Checkpoint(decide);
    }

    /// <summary>A checkpoint is durable: the acknowledgements it covers are sent.</summary>
    public void CheckpointPersisted(UserCheckpoint checkpoint, List<SessionDecision> decide)
    {
        _checkpointsInFlight--;
        EngineMetrics.CheckpointsPersisted.Inc();
        var acks = _delivery.CheckpointDurable(checkpoint.AppliedOffsets);
        var acknowledged = 0;
        foreach (var ack in acks)
        {
            acknowledged += ack.Message.Offsets.Length;
            decide.Add(new SendAcknowledgement(ack));
        }

        EngineMetrics.EventsAcknowledged.Inc(acknowledged);
        // Acks still waiting belong to events applied after this checkpoint was taken: a checkpoint is scheduled for
        // them already, unless nothing else is coming (then one is due now).
        if (_delivery.HasWaitingAcks && _checkpointsInFlight == 0 && _eventsSinceCheckpoint == 0) Checkpoint(decide);
        if (_stopping) StopWhenSettled(decide);
    }

    private void EnsureCheckpointScheduled(List<SessionDecision> decide)
    {
        if (_checkpointScheduled) return;
        _checkpointScheduled = true;
        decide.Add(new ScheduleCheckpoint(_settings.CheckpointInterval));
    }

    private void Checkpoint(List<SessionDecision> decide)
    {
        _checkpointScheduled = false;
        // Nothing new to write: acks still waiting are covered by the checkpoint in flight.
        if (_eventsSinceCheckpoint == 0 && (!_delivery.HasWaitingAcks || _checkpointsInFlight > 0)) return;
        _eventsSinceCheckpoint = 0;
        _checkpointsInFlight++;
        decide.Add(new PersistCheckpoint(Record.ToCheckpoint()));
    }

    // ---- stopping -------------------------------------------------------------------------------------------------

    /// <summary>
    /// Hand-off or passivation: the user checkpoints what is not durable yet, then stops. Events still waiting are not
    /// acknowledged, so Kafka redelivers them to the next incarnation.
    /// </summary>
    public void StopRequested(List<SessionDecision> decide)
    {
        _stopping = true;
        _companions = null; // never checkpointed: a session that stops drops them (steps in flight come back to nobody)
        StopWhenSettled(decide);
    }

    private void StopWhenSettled(List<SessionDecision> decide)
    {
        if (_stepInFlight) return;
        if (_eventsSinceCheckpoint > 0 || (_delivery.HasWaitingAcks && _checkpointsInFlight == 0)) Checkpoint(decide);
        if (_checkpointsInFlight == 0) decide.Add(StopSession.Instance);
    }

    // ---- experiments ----------------------------------------------------------------------------------------------

    /// <summary>A node served this user an experiment's answer: the next play scores it.</summary>
    public void ImpressionArrived(Experiments.ImpressionServed impression, List<SessionDecision> decide)
    {
        (_impressions ??= new Experiments.ImpressionLedger()).Served(impression, Record, decide);
        if (_settings.SuppressIgnoredAfter <= 0) return;
        // A late-scored answer may have passed items over: what the user may be shown changed.
        _ranking = null;
        if (Record.State is not null) decide.Add(PublishServingView.Instance);
    }

    // ---- queries --------------------------------------------------------------------------------------------------

    /// <summary>"What next?": answered from the cached ranking, the popular items (no state yet) or a new ranking.</summary>
    public void QueryArrived(int k, IActorRef replyTo, IModelRuntime model, long nowMs, List<SessionDecision> decide, IModelProvider? companions = null)
    {
        (_queries ??= []).Add(new WaitingQuery(k, replyTo));
        AnswerQueries(model, nowMs, decide, companions);
    }

    /// <summary>A ranking finished. Queries are answered with it even if an event landed meanwhile (it is at most one step old).</summary>
    public void RankingCompleted(Ranking ranking, IModelRuntime model, long nowMs, List<SessionDecision> decide, IModelProvider? companions = null)
    {
        _rankingInFlight = false;
        _ranking = ranking.ModelSteps == Record.ModelSteps && ranking.EventCount == Record.EventCount ? ranking : null;
        if (_queries is null) return;
        List<WaitingQuery>? remaining = null;
        foreach (var query in _queries)
        {
            if (ranking.Answers(query.K)) decide.Add(new Reply(query.ReplyTo, Answer(ranking, query.K)));
            else (remaining ??= []).Add(query);
        }

        _queries = remaining;
        if (_queries is not null)
        {
            _ranking = null;
            AnswerQueries(model, nowMs, decide, companions);
        }
    }

    /// <summary>
    /// A ranking failed. If the model it used was swapped out meanwhile (disposed under it), the queries are answered
    /// with the new model; otherwise they get the failure.
    /// </summary>
    public void RankingFailed(
        Exception cause, IModelRuntime rankedWith, IModelRuntime model, long nowMs, List<SessionDecision> decide, IModelProvider? companions = null)
    {
        _rankingInFlight = false;
        if (cause is ObjectDisposedException && model != rankedWith)
        {
            AnswerQueries(model, nowMs, decide, companions);
            return;
        }

        if (_queries is not null)
            foreach (var query in _queries) decide.Add(new Reply(query.ReplyTo, new Status.Failure(cause)));
        _queries = null;
    }

    private void AnswerQueries(IModelRuntime model, long nowMs, List<SessionDecision> decide, IModelProvider? companions)
    {
        if (_queries is null) return;
        if (Record.State is null)
        {
            AnswerColdStart(model, decide);
            return;
        }

        if (Record.ModelVersion != model.Version)
        {
            // The model was swapped: the state is rebuilt first, the queries are answered after it.
            if (!_stepInFlight) ProcessWaiting(model, nowMs, decide, companions);
            return;
        }

        var largest = _queries.Max(q => q.K);
        if (_ranking is { } cached && cached.Model == model && cached.ModelSteps == Record.ModelSteps &&
            cached.EventCount == Record.EventCount && cached.Answers(largest))
        {
            foreach (var query in _queries) decide.Add(new Reply(query.ReplyTo, Answer(cached, query.K)));
            _queries = null;
            return;
        }

        if (_rankingInFlight) return;
        _rankingInFlight = true;
        // A copy: the ranking runs on the score thread while the next step may write the session's state in place.
        decide.Add(new RankItems(model, (float[])Record.State.Clone(), Math.Max(largest, _settings.CachedRankingSize), SeenItems(model.Vocabulary),
            Record.ModelSteps, Record.EventCount));
    }

    private Recommendations Answer(Ranking ranking, int k, string? countedAs = "model")
    {
        var count = Math.Min(k, ranking.Items.Length);
        var items = new RecommendedItem[count];
        for (var i = 0; i < count; i++)
            items[i] = new RecommendedItem(ranking.Model.Vocabulary.IdAt(ranking.Items[i].Index), ranking.Items[i].Score);
        if (countedAs is not null) EngineMetrics.Recommendations.WithLabels(countedAs).Inc();
        return new Recommendations(UserId, items, ranking.Model.Name, ranking.Model.Version, ranking.EventCount, false);
    }

    private void AnswerColdStart(IModelRuntime model, List<SessionDecision> decide)
    {
        var exclude = SeenItems(model.Vocabulary);
        foreach (var query in _queries!) decide.Add(new Reply(query.ReplyTo, ColdAnswer(model, query.K, exclude)));
        _queries = null;
    }

    /// <summary>The popular items of <paramref name="model"/> minus the recent ones, marked cold start.</summary>
    private Recommendations ColdAnswer(IModelRuntime model, int k, HashSet<int>? exclude = null)
    {
        exclude ??= SeenItems(model.Vocabulary);
        var items = new List<RecommendedItem>(k);
        var rank = 0;
        foreach (var index in model.PopularItems)
        {
            rank++;
            if (exclude.Contains(index)) continue;
            // Popular lists have no model score: a decreasing rank-based score keeps the order explicit.
            items.Add(new RecommendedItem(model.Vocabulary.IdAt(index), 1f / rank));
            if (items.Count == k) break;
        }

        EngineMetrics.Recommendations.WithLabels("cold_start").Inc();
        return new Recommendations(UserId, items, model.Name, model.Version, Record.EventCount, true);
    }

    /// <summary>The excluded items the model knows (<see cref="ExcludedItemIds"/>), as its indices.</summary>
    private HashSet<int> SeenItems(ItemVocabulary vocabulary)
    {
        var seen = new HashSet<int>();
        foreach (var id in ExcludedItemIds())
        {
            var index = vocabulary.IndexOf(id);
            if (index > 0) seen.Add(index);
        }

        return seen;
    }

    /// <summary>
    /// Never recommended to this user: the recent items (unless <see cref="UserSessionSettings.ExcludeSeen"/> is off)
    /// and the items shown in <see cref="UserSessionSettings.SuppressIgnoredAfter"/> answers that the user's next play
    /// passed over (<see cref="Experiments.ImpressionLedger.Ignored"/>; off by default).
    /// </summary>
    public string[] ExcludedItemIds()
    {
        var ignored = _impressions is { } ledger && _settings.SuppressIgnoredAfter > 0
            ? ledger.Ignored(_settings.SuppressIgnoredAfter, Record.LastEventAt, _settings.AttributionWindow)
            : [];
        var recent = _settings.ExcludeSeen ? Record.Recent.Count : 0;
        if (ignored.Count == 0)
        {
            var ids = new string[recent];
            for (var i = 0; i < recent; i++) ids[i] = Record.Recent[i].ItemId;
            return ids;
        }

        var all = new HashSet<string>(ignored, StringComparer.Ordinal);
        for (var i = 0; i < recent; i++) all.Add(Record.Recent[i].ItemId);
        return [.. all];
    }

    /// <summary>What queries are answered from off the actor (Serving/ServingLane), as a new view; null while there is no model state.</summary>
    public ServingView? ServingView() => UpdateServingView(null);

    /// <summary>
    /// Writes the session into <paramref name="view"/> in place (its queries read it meanwhile; no allocation for a user
    /// without companions or ignored items), or returns a new view when there is none yet; null while there is no model
    /// state.
    /// </summary>
    public ServingView? UpdateServingView(ServingView? view)
    {
        if (Record.State is null || Record.ModelName is null || Record.ModelVersion is null) return view;
        var companions = _companions?.Views();
        if (view is null)
            return new ServingView(UserId, Record.State, ExcludedItemIds(), Record.ModelName, Record.ModelVersion, Record.ModelSteps, Record.EventCount, companions);
        var all = _impressions is not null && _settings.SuppressIgnoredAfter > 0 ? ExcludedItemIds() : null;
        var count = all?.Length ?? (_settings.ExcludeSeen ? Record.Recent.Count : 0);
        view.Update(Record.State, count, (Record.Recent, all, count), static (from, buffer) =>
        {
            if (from.all is { } ids) ids.CopyTo(buffer, 0);
            else
                for (var i = 0; i < from.count; i++) buffer[i] = from.Recent[i].ItemId;
        }, Record.ModelName, Record.ModelVersion, Record.ModelSteps, Record.EventCount, companions);
        return view;
    }

    /// <summary>The live session as operators and the session endpoint see it.</summary>
    public SessionView View() => new(
        UserId, Record.EventCount, Record.Plays, Record.Skips, Record.Likes, Record.PlaylistAdds,
        Record.FirstEventAt, Record.LastEventAt, Record.Recent.ToList(), Record.ModelVersion, Record.ModelSteps,
        Record.AppliedOffsets.Entries().ToArray(), _delivery.Durable.Entries().ToArray());

    /// <summary>
    /// The operator's look (<see cref="InspectUser"/>): the view plus what is pending and the cached top items. Pure and
    /// read-only — no decision, so inspecting a user never changes what it does next.
    /// </summary>
    public UserInspection Inspect(string node, string shardId, int k, IModelRuntime model)
    {
        var state = Record.State;
        var norm = 0.0;
        if (state is not null)
            foreach (var x in state) norm += (double)x * x;
        var cached = _ranking is { } r && r.Model == model && r.ModelSteps == Record.ModelSteps && r.EventCount == Record.EventCount
            && Record.ModelVersion == model.Version ? r : null;
        var top = cached is null ? [] : Answer(cached, k, countedAs: null).Items;
        return new UserInspection(
            View(), node, shardId, Record.ModelName, state?.Length ?? 0, Math.Sqrt(norm),
            _delivery.WaitingByPartition().Select(w => new PendingAcks(w.Partition, w.Count, w.First, w.Last)).ToArray(),
            WaitingCount, _stepInFlight, _checkpointsInFlight, _eventsSinceCheckpoint, cached is not null, top,
            _companions?.All.Select(c => new CompanionInspection(c.Key.Name, c.Key.Version, c.Steps, c.Events, c.State is null)).ToArray() ?? []);
    }

    private sealed record WaitingQuery(int K, IActorRef ReplyTo);
}

/// <summary>
/// A ranked list for one state: the top <see cref="Size"/> items of <see cref="Model"/> (fewer when the catalog, minus
/// the user's items, is smaller), computed after <see cref="ModelSteps"/> steps and <see cref="EventCount"/> events.
/// </summary>
public sealed record Ranking(ScoredItem[] Items, IModelRuntime Model, long ModelSteps, long EventCount, int Size)
{
    /// <summary>The list answers a query for <paramref name="k"/> items: it holds that many, or every item there is.</summary>
    public bool Answers(int k) => k <= Size || Items.Length < Size;
}
