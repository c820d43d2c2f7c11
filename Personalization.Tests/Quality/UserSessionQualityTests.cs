using Akka.Actor;
using Akka.TestKit.Xunit2;
using Personalization.Actors.Delivery;
using Personalization.Actors.Events;
using Personalization.Actors.Quality;
using Personalization.Actors.Sessions;
using Personalization.Actors.Telemetry;
using Personalization.Tests.Sessions;
using Xunit;

namespace Personalization.Tests.Quality;

/// <summary>
/// What a user session counts for data quality, per partition, without actors: unknown items, events out of time
/// order, duplicate offsets. Counted, never refused: the events apply in arrival order all the same.
/// </summary>
public sealed class UserSessionQualityTests : TestKit
{
    private const long T0 = 1_800_000_000_000;
    private readonly FakeModel _model = new("v1");
    private readonly IActorRef _source;
    // The counters are the process's: a partition of each test's own (a random one collided with another test's, 1 in 80).
    private static int _nextPartition = 910;
    private readonly int _partition = Interlocked.Increment(ref _nextPartition);

    public UserSessionQualityTests() => _source = CreateTestProbe("source").Ref;

    private UserSession NewSession()
    {
        var session = new UserSession("u1", new UserSessionSettings());
        session.RecoveryCompleted();
        return session;
    }

    private ApplyEvent Event(long offset, long ts, string item = "i1", EventType type = EventType.Play) =>
        new("u1", item, type, ts, new DeliveryTag(_partition, offset, offset - 1, _source));

    private List<SessionDecision> Arrive(UserSession session, ApplyEvent evt)
    {
        var decisions = new List<SessionDecision>();
        session.EventArrived(evt, _model, T0, decisions);
        foreach (var step in decisions.OfType<StepModel>().ToList())
        {
            var more = new List<SessionDecision>();
            session.StepCompleted(step.Batch, step.Runtime.StepAsync(step.State, step.Items).Result, step.Runtime, _model, T0, more);
            decisions.AddRange(more);
        }

        return decisions;
    }

    private long Count(DataQualitySignal signal) => DataQualityMetrics.Value(signal, _partition);

    [Fact]
    public void Items_the_model_does_not_know_are_counted_whatever_the_event_type()
    {
        var session = NewSession();
        Arrive(session, Event(0, T0, "i1"));
        Arrive(session, Event(1, T0, "not-in-the-model"));
        Arrive(session, Event(2, T0, "also-unknown", EventType.Skip));
        Assert.Equal(2, Count(DataQualitySignal.UnknownItem));
        Assert.Equal(3, session.Record.EventCount);
    }

    [Fact]
    public void An_event_earlier_than_its_users_latest_is_out_of_time_order_and_still_applied()
    {
        var session = NewSession();
        Arrive(session, Event(0, T0));
        Arrive(session, Event(1, T0 + 1000));
        Arrive(session, Event(2, T0 + 500)); // earlier than the latest (T0 + 1000)
        Arrive(session, Event(3, T0 + 1000)); // equal: in order
        Arrive(session, Event(4, T0 + 900));
        Assert.Equal(2, Count(DataQualitySignal.OutOfTimeOrder));
        Assert.Equal(5, session.Record.EventCount);
    }

    [Fact]
    public void A_redelivered_offset_is_a_duplicate_of_its_partition()
    {
        var session = NewSession();
        Arrive(session, Event(0, T0));
        Arrive(session, Event(1, T0));
        Arrive(session, Event(1, T0));
        Arrive(session, Event(0, T0));
        Assert.Equal(2, Count(DataQualitySignal.DuplicateOffset));
        Assert.Equal(0, Count(DataQualitySignal.OutOfTimeOrder));
        Assert.Equal(2, session.Record.EventCount);
    }

    [Fact]
    public void Events_without_a_Kafka_position_are_not_counted()
    {
        var session = NewSession();
        var before = DataQualityMetrics.Value(DataQualitySignal.UnknownItem, 0); // untracked events carry partition 0
        var decisions = new List<SessionDecision>();
        session.EventArrived(new ApplyEvent("u1", "unknown-item", EventType.Skip, T0), _model, T0, decisions);
        Assert.Equal(before, DataQualityMetrics.Value(DataQualitySignal.UnknownItem, 0));
        Assert.Equal(1, session.Record.EventCount);
    }
}
