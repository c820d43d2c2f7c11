using Akka.Actor;
using Personalization.Actors.Delivery;
using Personalization.Actors.Model;

namespace Personalization.Actors.Sessions;

/// <summary>
/// What <see cref="UserSession"/> decides and <see cref="UserSessionActor"/> carries out: the session never sends,
/// persists or schedules anything itself (docs/DESIGN.md, "The user session").
/// </summary>
public abstract record SessionDecision;

/// <summary>Run one model step over <see cref="Items"/> from <see cref="State"/>; the result comes back to <see cref="UserSession.StepCompleted"/>.</summary>
public sealed record StepModel(IModelRuntime Runtime, float[] State, int[] Items, StepBatch Batch) : SessionDecision;

/// <summary>Rank the catalog for <see cref="State"/>; the result comes back to <see cref="UserSession.RankingCompleted"/>.</summary>
public sealed record RankItems(IModelRuntime Runtime, float[] State, int Size, IReadOnlyCollection<int> Exclude, long ModelSteps, long EventCount)
    : SessionDecision;

/// <summary>
/// Run one step of a companion model (<see cref="CompanionStates"/>) over <see cref="Items"/> from <see cref="State"/>;
/// the result comes back to <see cref="UserSession.CompanionStepCompleted"/> or <see cref="UserSession.CompanionStepFailed"/>
/// with <see cref="Step"/>. Nothing waits for it: no acknowledgement, checkpoint or stop.
/// </summary>
public sealed record StepCompanion(IModelRuntime Runtime, float[] State, int[] Items, CompanionStep Step) : SessionDecision;

/// <summary>
/// Rank the catalog for a companion's <see cref="State"/>; the result comes back to
/// <see cref="UserSession.CompanionRankingCompleted"/> (or <see cref="UserSession.CompanionRankingFailed"/>) with <see cref="Query"/>.
/// </summary>
public sealed record RankCompanion(IModelRuntime Runtime, float[] State, IReadOnlyCollection<int> Exclude, CompanionQuery Query) : SessionDecision;

/// <summary>Persist the checkpoint (asynchronously: events keep flowing); report it to <see cref="UserSession.CheckpointPersisted"/>.</summary>
public sealed record PersistCheckpoint(UserCheckpoint Checkpoint) : SessionDecision;

/// <summary>Call <see cref="UserSession.CheckpointDue"/> after <see cref="After"/> (replacing any such timer).</summary>
public sealed record ScheduleCheckpoint(TimeSpan After) : SessionDecision;

/// <summary>Call <see cref="UserSession.RetryDue"/> after <see cref="After"/> (replacing any such timer).</summary>
public sealed record ScheduleStepRetry(TimeSpan After, int EventsWaiting) : SessionDecision;

/// <summary>Tell the source that these offsets are durable.</summary>
public sealed record SendAcknowledgement(Acknowledgement Acknowledgement) : SessionDecision;

/// <summary>Ask the source to read a partition again (an event arrived before its predecessor).</summary>
public sealed record AskForRedelivery(RedeliveryRequest Request) : SessionDecision;

/// <summary>Answer a query (<see cref="Recommendations"/>, or a <see cref="Status.Failure"/>).</summary>
public sealed record Reply(IActorRef To, object Message) : SessionDecision;

/// <summary>The session changed (events applied, a new state): publish its serving view (<see cref="UserSession.ServingView"/>).</summary>
public sealed record PublishServingView : SessionDecision
{
    public static readonly PublishServingView Instance = new();
}

/// <summary>An experiment observation (an impression's outcome, an attributed play): counted by the node's tally.</summary>
public sealed record RecordExperimentSignal(Experiments.ExperimentSignal Signal) : SessionDecision;

/// <summary>Everything applied is durable and nothing is in flight: stop the actor.</summary>
public sealed record StopSession : SessionDecision
{
    public static readonly StopSession Instance = new();
}

/// <summary>The events one model step covers, in order, and whether the step rebuilds the state under another model.</summary>
public sealed record StepBatch(List<ApplyEvent> Events, int Steps, bool Rebuild);
