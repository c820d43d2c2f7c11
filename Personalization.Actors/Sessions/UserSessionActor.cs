using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using Personalization.Actors.Delivery;
using Personalization.Actors.Model;
using Personalization.Actors.Serving;
using Personalization.Actors.Telemetry;

namespace Personalization.Actors.Sessions;

/// <summary>
/// The one live writer of a user's session (sharded by user id). Every rule is <see cref="UserSession"/>'s; this actor
/// hands it each message with the user's model and the time, and carries out what it decides: model steps and
/// rankings on the inference threads (<c>PipeTo</c>, never blocking), checkpoints with <c>PersistAsync</c>, timers,
/// acknowledgements, replies (docs/DESIGN.md, "The user session").
/// </summary>
public sealed class UserSessionActor : UntypedPersistentActor
{
    // An actor runs on one thread at a time and carries out its decisions before it returns: one list per thread
    // serves every user actor (a list per actor would cost every live user its array).
    [ThreadStatic] private static List<SessionDecision>? _decisions;

    private readonly UserSessionSettings _settings;
    private readonly IModelProvider _models;
    private readonly Address _selfAddress = Akka.Cluster.Cluster.Get(Context.System).SelfAddress;
    private readonly UserSession _session;
    private readonly ServingBoard? _board;
    private Experiments.ExperimentTally? _tally;
    private ServingView? _published;

    // Pending timers: the message each one will deliver (null: none). Not IWithTimers, whose TimerScheduler and its
    // dictionary cost ~230 B per user; a message that is not the pending one is from a cancelled timer and ignored.
    private CheckpointDue? _checkpointDue;
    private RetryStep? _retryDue;

    // When a message last came through the shard (seconds of the process's tick count): a stop after at least the idle
    // timeout is a passivation, an earlier one a hand-off (both arrive as StopUser). 4 bytes per live user.
    private int _lastActiveSecond = NowSecond;

    /// <summary>The user is the one the actor is named after (<see cref="PropsFor"/>).</summary>
    public UserSessionActor(UserSessionSettings settings, IModelProvider models, ServingBoard? board = null)
    {
        _settings = settings;
        _models = models;
        _board = board;
        _session = new UserSession(UserIdOf(Self), settings);
        JournalPluginId = settings.JournalPluginId;
        SnapshotPluginId = settings.SnapshotPluginId;
    }

    // Built when Akka asks (recovery, each persist) rather than kept: one string fewer per live user.
    public override string PersistenceId => PersistenceIdFor(_session.UserId);

    private IModelRuntime Model => _models.ForUser(_session.UserId);

    private static long Now => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private static int NowSecond => (int)(Environment.TickCount64 / 1000);

    // A type switch, not ReceivePersistentActor's Recover<T>/Command<T>: those build handler tables and closures per
    // instance (~2.2 KB per user).
    protected override void OnRecover(object message)
    {
        switch (message)
        {
            case UserCheckpoint checkpoint:
                _session.Restore(checkpoint, Model.Vocabulary.Intern);
                break;
            case RecoveryCompleted:
                _session.RecoveryCompleted();
                Publish();
                break;
        }
    }

    protected override void OnCommand(object message)
    {
        var decide = RentDecisions();
        switch (message)
        {
            case ApplyEvent evt:
                _lastActiveSecond = NowSecond;
                // The source that sent it lives on another node: the event crossed the network (0 in steady state).
                if (evt.Delivery.AckTo is { Path.Address.HasGlobalScope: true } ackTo && ackTo.Path.Address != _selfAddress)
                    EngineMetrics.RemoteDeliveries.Inc();
                if (EventSpans.Active) EventSpans.AddEvent(evt.Delivery, "user.received");
                _session.EventArrived(evt, Model, Now, decide, _models);
                break;
            case StepCompleted done:
                if (EventSpans.Active) AddSpanEvents(done.Batch, "model.stepped");
                _session.StepCompleted(done.Batch, done.State, done.Model, Model, Now, decide, _models);
                break;
            case StepFailed failed:
                Log.Warning(failed.Cause, "Model step for user {UserId} failed; its {Events} events stay queued and are retried", _session.UserId, failed.Batch.Events.Count);
                _session.StepFailed(failed.Batch, decide);
                break;
            case RetryStep retry when retry == _retryDue:
                _retryDue = null;
                _session.RetryDue(Model, Now, decide, _models);
                break;
            case CheckpointDue due when due == _checkpointDue:
                _checkpointDue = null;
                _session.CheckpointDue(decide);
                break;
            case TimerMessage:
                break; // a cancelled timer's message
            case GetRecommendations query:
                _lastActiveSecond = NowSecond;
                if (query.Companion is { } companion) _session.CompanionQueryArrived(companion, query.K, Sender, _models, decide);
                else _session.QueryArrived(query.K, Sender, Model, Now, decide, _models);
                break;
            case RankingCompleted done:
                _session.RankingCompleted(done.Ranking, Model, Now, decide, _models);
                break;
            case RankingFailed failed:
                if (failed.Cause is not ObjectDisposedException) Log.Warning(failed.Cause, "Ranking for user {UserId} failed", _session.UserId);
                _session.RankingFailed(failed.Cause, failed.Model, Model, Now, decide, _models);
                break;
            case CompanionStepCompleted done:
                _session.CompanionStepCompleted(done.Step, done.State, decide);
                break;
            case CompanionStepFailed failed:
                // A retired companion model (replaced or cleared) is not worth a warning: the state is rebuilt or gone.
                if (failed.Cause is not ObjectDisposedException)
                    Log.Warning(failed.Cause, "Step of companion model {Companion} for user {UserId} failed; that state is dropped and rebuilt on its next use", failed.Step.Companion, _session.UserId);
                _session.CompanionStepFailed(failed.Step, decide);
                break;
            case CompanionRankingCompleted done:
                _session.CompanionRankingCompleted(done.Query, done.Items, done.Model, decide);
                break;
            case CompanionRankingFailed failed:
                if (failed.Cause is not ObjectDisposedException) Log.Warning(failed.Cause, "Ranking with companion model {Companion} for user {UserId} failed", failed.Query.Companion, _session.UserId);
                _session.CompanionRankingFailed(failed.Query, failed.Cause, decide);
                break;
            case Experiments.ImpressionServed impression:
                _session.ImpressionArrived(impression, decide);
                break;
            case GetSession:
                Sender.Tell(_session.View());
                break;
            case InspectUser inspect:
                // The parent of an entity is its shard, named by the shard id (the user's partition).
                Sender.Tell(_session.Inspect(_selfAddress.ToString(), Uri.UnescapeDataString(Self.Path.Parent.Name), inspect.K, Model));
                break;
            case StopUser:
                if (NowSecond - _lastActiveSecond >= _settings.IdleTimeout.TotalSeconds * 0.9) EngineMetrics.Passivations.Inc();
                else EngineMetrics.HandOffStops.Inc();
                _session.StopRequested(decide);
                break;
            default:
                Unhandled(message);
                break;
        }

        CarryOut(decide);
    }

    // Taken out of the slot while in use: should a Tell run another user actor on this thread (a calling-thread
    // dispatcher in tests), that one gets a list of its own.
    private static List<SessionDecision> RentDecisions()
    {
        var decisions = _decisions ?? [];
        _decisions = null;
        return decisions;
    }

    private void CarryOut(List<SessionDecision> decisions)
    {
        for (var i = 0; i < decisions.Count; i++)
        {
            switch (decisions[i])
            {
                case StepModel step:
                    Step(step);
                    break;
                case RankItems rank:
                    Rank(rank);
                    break;
                case StepCompanion step:
                    StepOfCompanion(step);
                    break;
                case RankCompanion rank:
                    RankOfCompanion(rank);
                    break;
                case PersistCheckpoint persist:
                    Persist(persist.Checkpoint);
                    break;
                case ScheduleCheckpoint schedule:
                    _checkpointDue?.Cancel();
                    _checkpointDue = Schedule(new CheckpointDue(), schedule.After);
                    break;
                case ScheduleStepRetry retry:
                    _retryDue?.Cancel();
                    _retryDue = Schedule(new RetryStep(), retry.After);
                    break;
                case SendAcknowledgement ack:
                    if (EventSpans.Active) EventSpans.AddEvents(ack.Acknowledgement.To, ack.Acknowledgement.Message, "user.acknowledged");
                    ack.Acknowledgement.To.Tell(ack.Acknowledgement.Message, ActorRefs.NoSender);
                    break;
                case AskForRedelivery redelivery:
                    Log.Debug("User {UserId}: an event of partition {Partition} came before its predecessor; asking for redelivery",
                        _session.UserId, redelivery.Request.Message.Partition);
                    redelivery.Request.To.Tell(redelivery.Request.Message, ActorRefs.NoSender);
                    break;
                case Reply reply:
                    reply.To.Tell(reply.Message);
                    break;
                case PublishServingView:
                    Publish();
                    break;
                case RecordExperimentSignal signal:
                    (_tally ??= Experiments.ExperimentTally.For(Context.System)).Record(signal.Signal);
                    break;
                case StopSession:
                    Context.Stop(Self);
                    break;
            }
        }

        decisions.Clear();
        _decisions = decisions;
    }

    private static void AddSpanEvents(StepBatch batch, string name)
    {
        foreach (var evt in batch.Events) EventSpans.AddEvent(evt.Delivery, name);
    }

    // Step and Rank are methods of their own so that their closures are allocated only for their decisions (captured
    // variables of a switch section live in one closure object, created for every decision the loop carries out).
    private void Step(StepModel step)
    {
        var batch = step.Batch;
        var steppedWith = step.Runtime;
        steppedWith.StepAsync(step.State, step.Items).PipeTo(
            Self,
            success: next => new StepCompleted(batch, next, steppedWith),
            failure: ex => new StepFailed(batch, ex));
    }

    private void Rank(RankItems rank)
    {
        var model = rank.Runtime;
        var (steps, events, size) = (rank.ModelSteps, rank.EventCount, rank.Size);
        model.TopKAsync(rank.State, size, rank.Exclude).PipeTo(
            Self,
            success: items => new RankingCompleted(new Ranking(items, model, steps, events, size)),
            failure: ex => new RankingFailed(ex, model));
    }

    private void StepOfCompanion(StepCompanion decision)
    {
        var step = decision.Step;
        decision.Runtime.StepAsync(decision.State, decision.Items).PipeTo(
            Self,
            success: next => new CompanionStepCompleted(step, next),
            failure: ex => new CompanionStepFailed(step, ex));
    }

    private void RankOfCompanion(RankCompanion decision)
    {
        var (model, query) = (decision.Runtime, decision.Query);
        model.TopKAsync(decision.State, query.Size, decision.Exclude).PipeTo(
            Self,
            success: items => new CompanionRankingCompleted(query, items, model),
            failure: ex => new CompanionRankingFailed(query, ex));
    }

    private void Publish()
    {
        if (_board is null) return;
        var view = _session.UpdateServingView(_published);
        if (view is null || ReferenceEquals(view, _published)) return;
        _board.Publish(view);
        _published = view;
    }

    // A session decides at most one checkpoint per message: never a loop of writes.
    private void Persist(UserCheckpoint checkpoint)
    {
        _checkpointDue?.Cancel();
        _checkpointDue = null;
        // PersistAsync: events keep flowing while the database writes; the acks wait for the write.
        PersistAsync(checkpoint, OnPersisted);
    }

    private void OnPersisted(UserCheckpoint persisted)
    {
        var decide = RentDecisions();
        _session.CheckpointPersisted(persisted, decide);
        CarryOut(decide);
    }

    public static string PersistenceIdFor(string userId) => "user-" + userId;

    /// <summary>
    /// The Props of every user actor, shared (per-entity Props with the user id cost ~220 B per live user): an actor
    /// is the user it is named after, URI-escaped as sharding names an entity by its id (see <see cref="UserIdOf"/>).
    /// The actor system needs <see cref="UserMailbox.Hocon"/> (user actors run on <see cref="UserMailbox"/>).
    /// </summary>
    public static Props PropsFor(UserSessionSettings settings, IModelProvider models, ServingBoard? board = null) =>
        Props.Create(() => new UserSessionActor(settings, models, board)).WithMailbox(UserMailbox.Id);

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
        if (_published is not null) _board?.Withdraw(_published);
        base.PostStop();
    }

    private T Schedule<T>(T message, TimeSpan delay) where T : TimerMessage
    {
        message.Timer = Context.System.Scheduler.ScheduleTellOnceCancelable(delay, Self, message, Self);
        return message;
    }

    private sealed record StepCompleted(StepBatch Batch, float[] State, IModelRuntime Model);

    private sealed record StepFailed(StepBatch Batch, Exception Cause);

    private sealed record RankingCompleted(Ranking Ranking);

    private sealed record RankingFailed(Exception Cause, IModelRuntime Model);

    private sealed record CompanionStepCompleted(CompanionStep Step, float[] State);

    private sealed record CompanionStepFailed(CompanionStep Step, Exception Cause);

    private sealed record CompanionRankingCompleted(CompanionQuery Query, ScoredItem[] Items, IModelRuntime Model);

    private sealed record CompanionRankingFailed(CompanionQuery Query, Exception Cause);

    /// <summary>A message a timer delivers to this actor; it can cancel its timer.</summary>
    private abstract class TimerMessage
    {
        public ICancelable? Timer { get; set; }

        public void Cancel() => Timer?.Cancel();
    }

    private sealed class CheckpointDue : TimerMessage;

    private sealed class RetryStep : TimerMessage;
}
