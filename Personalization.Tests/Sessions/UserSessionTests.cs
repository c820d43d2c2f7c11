using Akka.Actor;
using Akka.TestKit.Xunit2;
using Personalization.Actors.Delivery;
using Personalization.Actors.Events;
using Personalization.Actors.Model;
using Personalization.Actors.Sessions;
using Xunit;

namespace Personalization.Tests.Sessions;

/// <summary>
/// The rules of a user session, without actors: each message and the decisions it yields. The TestKit supplies actor
/// refs only (as the source's ack target and query senders); nothing runs on them.
/// </summary>
public sealed class UserSessionTests : TestKit
{
    private const long T0 = 1_800_000_000_000;
    private static readonly UserSessionSettings Settings = new() { CheckpointEveryEvents = 3, MaxEventsPerStep = 4, RecentItems = 5 };
    private readonly FakeModel _model = new("v1");
    private readonly IActorRef _source;
    private readonly IActorRef _asker;

    public UserSessionTests()
    {
        _source = CreateTestProbe("source").Ref;
        _asker = CreateTestProbe("asker").Ref;
    }

    private UserSession NewSession()
    {
        var session = new UserSession("u1", Settings);
        session.RecoveryCompleted();
        return session;
    }

    private ApplyEvent Event(long offset, string item = "i1", EventType type = EventType.Play, long previous = -1, int partition = 0) =>
        new("u1", item, type, T0 - 10, new DeliveryTag(partition, offset, previous, _source));

    private static List<SessionDecision> Decide(Action<List<SessionDecision>> message)
    {
        var decisions = new List<SessionDecision>();
        message(decisions);
        return decisions;
    }

    /// <summary>Carries out a step decision with the fake model and reports the result back.</summary>
    private List<SessionDecision> Complete(UserSession session, StepModel step) => Decide(d =>
        session.StepCompleted(step.Batch, Step(step.Runtime, step), step.Runtime, _model, T0, d));

    /// <summary>Carries out a ranking decision with the fake model.</summary>
    private static Ranking Rank(RankItems rank) =>
        new(rank.Runtime.TopKAsync(rank.State, rank.Size, rank.Exclude).Result, rank.Runtime, rank.ModelSteps, rank.EventCount, rank.Size);

    private static float[] Step(IModelRuntime model, StepModel step) => model.StepAsync(step.State, step.Items).Result;

    [Fact]
    public void A_fresh_event_asks_for_one_model_step_over_its_item()
    {
        var session = NewSession();

        var step = Assert.IsType<StepModel>(Assert.Single(Decide(d => session.EventArrived(Event(0, "i7"), _model, T0, d))));

        Assert.Equal([7], step.Items);
        Assert.Equal([0f, 0f], step.State); // a new user's state is zeros
        Assert.False(step.Batch.Rebuild);
    }

    [Fact]
    public void Events_that_arrive_while_a_step_is_in_flight_wait_and_then_go_to_the_model_together_in_order()
    {
        var session = NewSession();
        var first = Assert.IsType<StepModel>(Decide(d => session.EventArrived(Event(0, "i1"), _model, T0, d)).Single());
        Assert.Empty(Decide(d => session.EventArrived(Event(1, "i2"), _model, T0, d)));
        Assert.Empty(Decide(d => session.EventArrived(Event(2, "i3"), _model, T0, d)));

        var next = Assert.IsType<StepModel>(Complete(session, first).OfType<StepModel>().Single());

        Assert.Equal([2, 3], next.Items);
        Assert.Equal([1f, 1f], next.State);
    }

    [Fact]
    public void The_step_result_and_its_events_become_the_session_at_once()
    {
        var session = NewSession();
        var step = (StepModel)Decide(d => session.EventArrived(Event(0, "i4"), _model, T0, d)).Single();
        Assert.Equal(0, session.Record.EventCount); // nothing is visible while the step runs

        Complete(session, step);

        Assert.Equal(1, session.Record.EventCount);
        Assert.Equal([4f, 1f], session.Record.State!);
        Assert.Equal(("v1", 1L), (session.Record.ModelVersion, session.Record.ModelSteps));
        Assert.Equal([(0, 0L)], session.Record.AppliedOffsets.Entries());
    }

    [Fact]
    public void Skips_and_unknown_items_are_recorded_without_a_model_step()
    {
        var session = NewSession();

        var decisions = Decide(d => session.EventArrived(Event(0, "i3", EventType.Skip), _model, T0, d))
            .Concat(Decide(d => session.EventArrived(Event(1, "not-in-the-model"), _model, T0, d))).ToList();

        Assert.DoesNotContain(decisions, d => d is StepModel);
        Assert.Equal(2, session.Record.EventCount);
        Assert.Null(session.Record.State);
    }

    [Fact]
    public void The_first_event_since_a_checkpoint_schedules_one_after_the_interval()
    {
        var session = NewSession();
        var step = (StepModel)Decide(d => session.EventArrived(Event(0), _model, T0, d)).Single();

        var schedule = Assert.IsType<ScheduleCheckpoint>(Assert.Single(Complete(session, step), d => d is not PublishServingView));

        Assert.Equal(Settings.CheckpointInterval, schedule.After);
    }

    [Fact]
    public void An_applied_step_publishes_the_serving_view_of_the_new_state_and_recent_items()
    {
        var session = NewSession();
        var step = (StepModel)Decide(d => session.EventArrived(Event(0, "i2"), _model, T0, d)).Single();

        Assert.Contains(PublishServingView.Instance, Complete(session, step));
        var view = session.ServingView();
        Assert.NotNull(view);
        var snapshot = view!.Read();
        Assert.Equal(session.Record.State, snapshot.State);
        Assert.NotSame(session.Record.State, snapshot.State);
        Assert.Equal(["i2"], snapshot.ExcludedItemIds);
        Assert.Equal((_model.Version, 1L, 1L), (snapshot.ModelVersion, snapshot.ModelSteps, snapshot.EventCount));
    }

    [Fact]
    public void A_later_step_writes_the_same_state_array_and_the_same_serving_view_in_place()
    {
        var session = NewSession();
        var first = (StepModel)Decide(d => session.EventArrived(Event(0, "i2"), _model, T0, d)).Single();
        Complete(session, first);
        var state = session.Record.State;
        var view = session.UpdateServingView(null)!;
        var version = view.Version;

        var second = (StepModel)Decide(d => session.EventArrived(Event(1, "i3"), _model, T0, d)).Single();
        Complete(session, second);

        Assert.Same(state, session.Record.State);
        Assert.Same(view, session.UpdateServingView(view));
        var snapshot = view.Read();
        Assert.Equal(version + 2, snapshot.Version);
        Assert.Equal(session.Record.State, snapshot.State);
        Assert.Equal(["i2", "i3"], snapshot.ExcludedItemIds);
        Assert.Equal(2L, snapshot.EventCount);
    }

    [Fact]
    public void A_checkpoint_holds_a_copy_of_the_state_that_later_steps_do_not_change()
    {
        var session = NewSession();
        Complete(session, (StepModel)Decide(d => session.EventArrived(Event(0, "i2"), _model, T0, d)).Single());
        var checkpoint = session.Record.ToCheckpoint();
        var before = checkpoint.State!.ToArray();

        Complete(session, (StepModel)Decide(d => session.EventArrived(Event(1, "i3"), _model, T0, d)).Single());

        Assert.Equal(before, checkpoint.State);
        Assert.NotEqual(before, session.Record.State);
    }

    [Fact]
    public void A_session_without_model_state_has_no_serving_view() => Assert.Null(NewSession().ServingView());

    [Fact]
    public void A_checkpoint_is_persisted_when_the_interval_is_over_and_acknowledges_its_events_once_durable()
    {
        var session = NewSession();
        Complete(session, (StepModel)Decide(d => session.EventArrived(Event(5), _model, T0, d)).Single());

        var persist = Assert.IsType<PersistCheckpoint>(Assert.Single(Decide(session.CheckpointDue)));
        Assert.Equal([(0, 5L)], persist.Checkpoint.AppliedOffsets);
        var ack = Assert.IsType<SendAcknowledgement>(Assert.Single(Decide(d => session.CheckpointPersisted(persist.Checkpoint, d))));

        Assert.Equal(_source, ack.Acknowledgement.To);
        Assert.Equal(0, ack.Acknowledgement.Message.Partition);
        Assert.Equal([5L], ack.Acknowledgement.Message.Offsets);
        Assert.True(session.IsSettled);
    }

    [Fact]
    public void Nothing_is_acknowledged_before_its_checkpoint_is_durable()
    {
        var session = NewSession();
        var decisions = Complete(session, (StepModel)Decide(d => session.EventArrived(Event(0), _model, T0, d)).Single())
            .Concat(Decide(session.CheckpointDue)).ToList();

        Assert.DoesNotContain(decisions, d => d is SendAcknowledgement);
        Assert.Equal(0, session.DurableOffsets.Count);
    }

    [Fact]
    public void Every_N_events_a_checkpoint_is_persisted_at_once()
    {
        var session = NewSession();
        var step = (StepModel)Decide(d => session.EventArrived(Event(0, "i1"), _model, T0, d)).Single();
        Decide(d => session.EventArrived(Event(1, "i2"), _model, T0, d));
        Decide(d => session.EventArrived(Event(2, "i3"), _model, T0, d));
        var second = Complete(session, step).OfType<StepModel>().Single();

        var persist = Complete(session, second).OfType<PersistCheckpoint>().Single();

        Assert.Equal([(0, 2L)], persist.Checkpoint.AppliedOffsets);
    }

    [Fact]
    public void A_redelivered_event_that_is_durable_is_acknowledged_at_once_and_not_applied_again()
    {
        var session = NewSession();
        Complete(session, (StepModel)Decide(d => session.EventArrived(Event(3), _model, T0, d)).Single());
        var persist = (PersistCheckpoint)Decide(session.CheckpointDue).Single();
        Decide(d => session.CheckpointPersisted(persist.Checkpoint, d));

        var decisions = Decide(d => session.EventArrived(Event(3), _model, T0, d));

        var ack = Assert.IsType<SendAcknowledgement>(Assert.Single(decisions));
        Assert.Equal([3L], ack.Acknowledgement.Message.Offsets);
        Assert.Equal(1, session.Record.EventCount);
    }

    [Fact]
    public void A_redelivered_event_that_arrives_while_its_checkpoint_is_written_is_acknowledged_when_that_write_is_durable()
    {
        var session = NewSession();
        Complete(session, (StepModel)Decide(d => session.EventArrived(Event(3), _model, T0, d)).Single());
        var persist = (PersistCheckpoint)Decide(session.CheckpointDue).Single();
        Assert.Empty(Decide(d => session.EventArrived(Event(3), _model, T0, d))); // the write is in flight

        var acks = Decide(d => session.CheckpointPersisted(persist.Checkpoint, d)).OfType<SendAcknowledgement>().ToList();

        Assert.Equal([3L, 3L], acks.SelectMany(a => a.Acknowledgement.Message.Offsets));
        Assert.True(session.IsSettled);
    }

    [Fact]
    public void An_event_whose_predecessor_never_arrived_is_dropped_unacknowledged_and_the_partition_is_read_again()
    {
        var session = NewSession();

        var decisions = Decide(d => session.EventArrived(Event(9, previous: 7, partition: 2), _model, T0, d));

        var redelivery = Assert.IsType<AskForRedelivery>(Assert.Single(decisions));
        Assert.Equal((_source, 2), (redelivery.Request.To, redelivery.Request.Message.Partition));
        Assert.Equal(0, session.Record.EventCount);
    }

    [Fact]
    public void A_failed_step_puts_its_events_back_in_front_and_retries_them_in_order()
    {
        var session = NewSession();
        var step = (StepModel)Decide(d => session.EventArrived(Event(0, "i1"), _model, T0, d)).Single();
        Decide(d => session.EventArrived(Event(1, "i2"), _model, T0, d));

        var retry = Assert.IsType<ScheduleStepRetry>(Assert.Single(Decide(d => session.StepFailed(step.Batch, d))));
        Assert.Equal((Settings.StepRetryDelay, 2), (retry.After, retry.EventsWaiting));
        var again = Assert.IsType<StepModel>(Assert.Single(Decide(d => session.RetryDue(_model, T0, d))));

        Assert.Equal([1, 2], again.Items);
        Assert.Equal(0, session.Record.EventCount);
    }

    [Fact]
    public void A_user_with_no_state_gets_the_popular_items_minus_its_own_marked_cold_start()
    {
        var session = NewSession();
        Decide(d => session.EventArrived(Event(0, "i1", EventType.Skip), _model, T0, d));

        var reply = Assert.IsType<Reply>(Assert.Single(Decide(d => session.QueryArrived(3, _asker, _model, T0, d))));

        var answer = Assert.IsType<Recommendations>(reply.Message);
        Assert.True(answer.ColdStart);
        Assert.Equal(["i2", "i3", "i4"], answer.Items.Select(i => i.ItemId));
    }

    [Fact]
    public void A_query_asks_for_a_ranking_that_leaves_out_recent_items_and_the_ranking_answers_it()
    {
        var session = NewSession();
        Complete(session, (StepModel)Decide(d => session.EventArrived(Event(0, "i20"), _model, T0, d)).Single());

        var rank = Assert.IsType<RankItems>(Assert.Single(Decide(d => session.QueryArrived(2, _asker, _model, T0, d))));
        Assert.Contains(20, rank.Exclude);
        var ranked = Rank(rank);
        var reply = Assert.IsType<Reply>(Assert.Single(Decide(d => session.RankingCompleted(ranked, _model, T0, d))));

        Assert.Equal(["i19", "i18"], ((Recommendations)reply.Message).Items.Select(i => i.ItemId));
        Assert.False(((Recommendations)reply.Message).ColdStart);
    }

    [Fact]
    public void Inspect_reports_state_norm_pending_acks_and_the_cached_top_items_and_decides_nothing()
    {
        var session = NewSession();
        var fresh = session.Inspect("akka.tcp://s@h:1", "0", 3, _model);
        Assert.Equal((0, 0.0, false), (fresh.StateSize, fresh.StateNorm, fresh.TopKCached));
        Assert.Empty(fresh.PendingAcks);
        Assert.Null(fresh.ModelName);

        var step = (StepModel)Decide(d => session.EventArrived(Event(7, "i20"), _model, T0, d)).Single();
        var waiting = Decide(d => session.EventArrived(Event(8, "i3", previous: 7), _model, T0, d));
        Assert.Empty(waiting);
        var inFlight = session.Inspect("akka.tcp://s@h:1", "0", 3, _model);
        Assert.True(inFlight.StepInFlight);
        Assert.Equal(1, inFlight.EventsWaiting);

        Complete(session, Complete(session, step).OfType<StepModel>().Single());
        var applied = session.Inspect("akka.tcp://s@h:1", "0", 3, _model);
        var state = session.Record.State!;
        Assert.Equal(Math.Sqrt(state.Sum(x => (double)x * x)), applied.StateNorm, 9);
        Assert.Equal(state.Length, applied.StateSize);
        Assert.Equal(_model.Name, applied.ModelName);
        Assert.Equal([new PendingAcks(0, 2, 7, 8)], applied.PendingAcks);
        Assert.Equal(2, applied.EventsSinceCheckpoint);
        Assert.False(applied.TopKCached);
        Assert.Empty(applied.TopK);
        Assert.Equal(("akka.tcp://s@h:1", "0", 2L), (applied.Node, applied.ShardId, applied.Session.EventCount));

        var rank = (RankItems)Decide(d => session.QueryArrived(2, _asker, _model, T0, d)).Single();
        Decide(d => session.RankingCompleted(Rank(rank), _model, T0, d));
        var ranked = session.Inspect("akka.tcp://s@h:1", "0", 3, _model);
        Assert.True(ranked.TopKCached);
        Assert.Equal(3, ranked.TopK.Count);
        Assert.Equal(["i19", "i18", "i17"], ranked.TopK.Select(i => i.ItemId));
        // Inspecting decided nothing: the next query is still answered from the same cache.
        Assert.IsType<Reply>(Assert.Single(Decide(d => session.QueryArrived(2, _asker, _model, T0, d))));
    }

    [Fact]
    public void A_cached_ranking_answers_until_the_next_event()
    {
        var session = NewSession();
        Complete(session, (StepModel)Decide(d => session.EventArrived(Event(0, "i20"), _model, T0, d)).Single());
        var rank = (RankItems)Decide(d => session.QueryArrived(2, _asker, _model, T0, d)).Single();
        Decide(d => session.RankingCompleted(Rank(rank), _model, T0, d));

        Assert.IsType<Reply>(Assert.Single(Decide(d => session.QueryArrived(5, _asker, _model, T0, d))));
        Complete(session, (StepModel)Decide(d => session.EventArrived(Event(1, "i3"), _model, T0, d)).Single());
        Assert.IsType<RankItems>(Assert.Single(Decide(d => session.QueryArrived(5, _asker, _model, T0, d))));
    }

    [Fact]
    public void After_a_model_swap_the_state_is_rebuilt_from_the_recent_items_before_a_query_is_ranked()
    {
        var session = NewSession();
        Complete(session, (StepModel)Decide(d => session.EventArrived(Event(0, "i2"), _model, T0, d)).Single());
        var swapped = new FakeModel("v2");

        var rebuild = Assert.IsType<StepModel>(Assert.Single(Decide(d => session.QueryArrived(3, _asker, swapped, T0, d))));
        Assert.True(rebuild.Batch.Rebuild);
        Assert.Equal([2], rebuild.Items);
        var after = Decide(d => session.StepCompleted(rebuild.Batch, Step(swapped, rebuild), swapped, swapped, T0, d));

        Assert.IsType<RankItems>(Assert.Single(after, d => d is not PublishServingView));
        Assert.Equal(("v2", 1L), (session.Record.ModelVersion, session.Record.ModelSteps));
    }

    [Fact]
    public void After_a_model_swap_in_which_no_recent_item_advances_the_new_model_a_waiting_query_is_still_answered()
    {
        var session = NewSession();
        Complete(session, (StepModel)Decide(d => session.EventArrived(Event(0, "i2"), _model, T0, d)).Single());
        var knowsNothingOfIt = new FakeModel("v2", items: 0, "other-1", "other-2");

        var decisions = Decide(d => session.QueryArrived(3, _asker, knowsNothingOfIt, T0, d));

        var rank = Assert.IsType<RankItems>(Assert.Single(decisions));
        Assert.Equal(knowsNothingOfIt, rank.Runtime);
        Assert.Equal([0f, 0f], rank.State); // the new model's new-user state
    }

    [Fact]
    public void A_ranking_that_fails_because_its_model_was_swapped_out_is_redone_with_the_new_model()
    {
        var session = NewSession();
        Complete(session, (StepModel)Decide(d => session.EventArrived(Event(0, "i2"), _model, T0, d)).Single());
        Decide(d => session.QueryArrived(3, _asker, _model, T0, d));
        var swapped = new FakeModel("v2");

        var decisions = Decide(d => session.RankingFailed(new ObjectDisposedException("model"), _model, swapped, T0, d));

        Assert.True(Assert.IsType<StepModel>(Assert.Single(decisions)).Batch.Rebuild);
    }

    [Fact]
    public void A_ranking_that_fails_otherwise_answers_the_waiting_queries_with_the_failure()
    {
        var session = NewSession();
        Complete(session, (StepModel)Decide(d => session.EventArrived(Event(0, "i2"), _model, T0, d)).Single());
        Decide(d => session.QueryArrived(3, _asker, _model, T0, d));

        var reply = Assert.IsType<Reply>(Assert.Single(Decide(d => session.RankingFailed(new InvalidOperationException("boom"), _model, _model, T0, d))));

        Assert.IsType<Status.Failure>(reply.Message);
    }

    [Fact]
    public void A_stop_checkpoints_what_is_not_durable_and_stops_once_it_is()
    {
        var session = NewSession();
        Complete(session, (StepModel)Decide(d => session.EventArrived(Event(0), _model, T0, d)).Single());

        var persist = Assert.IsType<PersistCheckpoint>(Assert.Single(Decide(session.StopRequested)));
        var after = Decide(d => session.CheckpointPersisted(persist.Checkpoint, d));

        Assert.IsType<SendAcknowledgement>(after[0]);
        Assert.IsType<StopSession>(after[1]);
    }

    [Fact]
    public void A_stop_waits_for_the_step_in_flight()
    {
        var session = NewSession();
        var step = (StepModel)Decide(d => session.EventArrived(Event(0), _model, T0, d)).Single();

        Assert.Empty(Decide(session.StopRequested));
        Assert.Contains(Complete(session, step), d => d is PersistCheckpoint);
    }

    [Fact]
    public void A_settled_user_stops_at_once()
    {
        var session = NewSession();

        Assert.IsType<StopSession>(Assert.Single(Decide(session.StopRequested)));
    }

    [Fact]
    public void What_a_recovered_checkpoint_covers_is_durable_and_its_redeliveries_are_acknowledged_at_once()
    {
        var earlier = new SessionRecord("u1", 5);
        earlier.Apply("i1", EventType.Play, 1, 0, 41);
        var session = new UserSession("u1", Settings);
        session.Restore(earlier.ToCheckpoint());
        session.RecoveryCompleted();

        var ack = Assert.IsType<SendAcknowledgement>(Assert.Single(Decide(d => session.EventArrived(Event(41), _model, T0, d))));

        Assert.Equal([41L], ack.Acknowledgement.Message.Offsets);
    }
}
