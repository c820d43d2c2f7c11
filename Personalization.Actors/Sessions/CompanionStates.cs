using Personalization.Actors.Events;
using Personalization.Actors.Model;
using Personalization.Actors.Serving;
using Personalization.Actors.Telemetry;

namespace Personalization.Actors.Sessions;

/// <summary>
/// The states of a user's companion models (docs/DESIGN.md, "The user session"): models other than the serving one
/// (<see cref="IModelProvider.CompanionsFor"/>) whose state the session keeps, advanced by the same events, so that an
/// interleaving or a shadow model can rank for the user. Pure, like <see cref="UserSession"/>, which owns one only while
/// the user has companions (null otherwise: most users never pay for it).
/// <list type="bullet">
/// <item>Every batch the session applies comes here after it is applied (<see cref="Applied"/>), so a companion sees
/// exactly the applied events, once, in order; each companion maps them through its own vocabulary (skips and items it
/// does not know are not stepped, as for the serving model).</item>
/// <item>One step in flight per companion; items arriving meanwhile wait and go together in its next step.</item>
/// <item>A companion that appears (newly named, another version, dropped after a failure, a session that just
/// started) is built from the session's recent items, as the serving state is after a model swap; if its model knows
/// none of them, its state is the new-user state at once.</item>
/// <item>A failed step drops that companion (counted; rebuilt on its next use). A companion no longer named is dropped;
/// a step of a dropped companion that comes back is ignored.</item>
/// <item>Nothing here is checkpointed or delays an acknowledgement, a checkpoint or a stop: the session does not look
/// at companions for any of them.</item>
/// </list>
/// </summary>
public sealed class CompanionStates
{
    private Companion[] _companions = [];

    public int Count => _companions.Length;

    /// <summary>
    /// A batch was applied (<paramref name="events"/>, in order; the session now holds <paramref name="record"/>, whose
    /// recent items include them). With <paramref name="named"/> (the user's companions now) companions are added,
    /// refreshed or dropped first; a companion added now is built from the recent items, which already cover the batch.
    /// Returns true when a state the serving view shows changed (a companion dropped or ready at once).
    /// </summary>
    public bool Applied(IReadOnlyList<ApplyEvent> events, IReadOnlyList<IModelRuntime>? named, SessionRecord record, List<SessionDecision> decide)
    {
        if (named is not null && !SameAs(named)) return Reconcile(named, events, record, decide);
        foreach (var companion in _companions) Feed(companion, events, record.EventCount, decide);
        return false;
    }

    /// <summary>
    /// Brings the companions in line with <paramref name="named"/> without a batch (a query for a companion). Returns
    /// true when a state the serving view shows changed.
    /// </summary>
    public bool Refresh(IReadOnlyList<IModelRuntime> named, SessionRecord record, List<SessionDecision> decide) =>
        !SameAs(named) && Reconcile(named, [], record, decide);

    /// <summary>A companion's step finished: its state moves on, and the items that waited go in its next step. False when the companion was dropped meanwhile.</summary>
    public bool StepCompleted(CompanionStep step, float[] state, List<SessionDecision> decide)
    {
        if (Find(step) is not { } companion) return false;
        companion.InFlight = null;
        companion.State = state;
        companion.Steps = step.Steps;
        companion.Events = step.Events;
        companion.Ranking = null;
        EngineMetrics.CompanionSteps.Inc(step.Items);
        var waiting = companion.Waiting;
        companion.Waiting = null;
        if (waiting is { Count: > 0 }) Start(companion, state, waiting, rebuild: false, decide);
        else companion.Events = companion.Target;
        return true;
    }

    /// <summary>A companion's step failed: the companion is dropped (counted) and built again on its next use. False when it was dropped already.</summary>
    public bool StepFailed(CompanionStep step)
    {
        if (Find(step) is not { } companion) return false;
        EngineMetrics.CompanionStepFailures.Inc();
        _companions = _companions.Where(c => c != companion).ToArray();
        return true;
    }

    /// <summary>The companion of model <paramref name="key"/>, or null when the session keeps none.</summary>
    public Companion? Find(ModelKey key)
    {
        foreach (var companion in _companions)
        {
            if (companion.Key == key) return companion;
        }

        return null;
    }

    public IReadOnlyList<Companion> All => _companions;

    /// <summary>The companions that have a state, as the serving view carries them (new views: each caches its own ranking).</summary>
    public CompanionView[] Views()
    {
        var ready = 0;
        foreach (var companion in _companions)
            if (companion.State is not null) ready++;
        if (ready == 0) return [];
        var views = new CompanionView[ready];
        var i = 0;
        foreach (var c in _companions)
            if (c.State is not null) views[i++] = new CompanionView(c.Key.Name, c.Key.Version, c.State, c.Steps, c.Events);
        return views;
    }

    /// <summary>The list is the one held, runtime for runtime: nothing to add, drop or refresh (every batch of a user with companions).</summary>
    private bool SameAs(IReadOnlyList<IModelRuntime> named)
    {
        if (named.Count != _companions.Length) return false;
        for (var i = 0; i < named.Count; i++)
        {
            if (!ReferenceEquals(named[i], _companions[i].Runtime)) return false;
        }

        return true;
    }

    private bool Reconcile(IReadOnlyList<IModelRuntime> named, IReadOnlyList<ApplyEvent> events, SessionRecord record, List<SessionDecision> decide)
    {
        var changed = false;
        var next = new List<Companion>(named.Count);
        foreach (var runtime in named)
        {
            var key = ModelKey.Of(runtime);
            if (next.Exists(c => c.Key == key)) continue; // one state per model: a provider that names a model twice gets one
            if (Find(key) is { } held)
            {
                held.Runtime = runtime; // the same model, reloaded: its state is still its state
                Feed(held, events, record.EventCount, decide);
                next.Add(held);
                continue;
            }

            var added = new Companion(key, runtime);
            next.Add(added);
            changed |= Build(added, record, decide);
        }

        foreach (var held in _companions)
            if (held.State is not null && !next.Contains(held)) changed = true; // dropped: the view must lose it
        _companions = [.. next];
        return changed;
    }

    /// <summary>A new companion's state: the recent items stepped from the new-user state. True when it is ready at once (no item its model knows).</summary>
    private static bool Build(Companion companion, SessionRecord record, List<SessionDecision> decide)
    {
        var vocabulary = companion.Runtime.Vocabulary;
        var items = new List<int>();
        for (var i = 0; i < record.Recent.Count; i++)
        {
            var recent = record.Recent[i];
            var index = recent.Type.AdvancesModel() ? vocabulary.IndexOf(recent.ItemId) : 0;
            if (index > 0) items.Add(index);
        }

        companion.Target = record.EventCount;
        var zeros = new float[companion.Runtime.StateSize];
        if (items.Count > 0)
        {
            Start(companion, zeros, items, rebuild: true, decide);
            return false;
        }

        companion.State = zeros;
        companion.Steps = 0;
        companion.Events = record.EventCount;
        return true;
    }

    /// <summary>An applied batch for a companion that has a state or a step in flight.</summary>
    private static void Feed(Companion companion, IReadOnlyList<ApplyEvent> events, long eventCount, List<SessionDecision> decide)
    {
        if (events.Count == 0) return;
        companion.Ranking = null; // the recent items changed: what a ranking leaves out too
        companion.Target = eventCount;
        var vocabulary = companion.Runtime.Vocabulary;
        List<int>? items = companion.InFlight is null ? null : companion.Waiting;
        foreach (var evt in events)
        {
            var index = evt.Type.AdvancesModel() ? vocabulary.IndexOf(evt.ItemId) : 0;
            if (index > 0) (items ??= []).Add(index);
        }

        if (companion.InFlight is not null)
        {
            companion.Waiting = items;
            return;
        }

        if (items is null)
        {
            companion.Events = eventCount; // nothing for its model: the state reflects the batch as it is
            return;
        }

        Start(companion, companion.State!, items, rebuild: false, decide);
    }

    private static void Start(Companion companion, float[] state, List<int> items, bool rebuild, List<SessionDecision> decide)
    {
        var step = new CompanionStep(companion.Key, items.Count, (rebuild ? 0 : companion.Steps) + items.Count, companion.Target, rebuild);
        companion.InFlight = step;
        decide.Add(new StepCompanion(companion.Runtime, state, [.. items], step));
    }

    private Companion? Find(CompanionStep step)
    {
        foreach (var companion in _companions)
        {
            if (ReferenceEquals(companion.InFlight, step)) return companion;
        }

        return null;
    }

    /// <summary>
    /// One companion model's state in a session. <see cref="State"/> is null until its first build returns (then queries
    /// for it are answered cold); it reflects <see cref="Steps"/> steps and the session's first <see cref="Events"/> events.
    /// </summary>
    public sealed class Companion(ModelKey key, IModelRuntime runtime)
    {
        public ModelKey Key { get; } = key;

        /// <summary>The runtime the provider named last (a reload of the same folder replaces it; the state stays).</summary>
        public IModelRuntime Runtime { get; internal set; } = runtime;

        public float[]? State { get; internal set; }

        public long Steps { get; internal set; }

        public long Events { get; internal set; }

        public bool StepInFlight => InFlight is not null;

        internal CompanionStep? InFlight { get; set; }

        /// <summary>Items of applied events that wait for the step in flight.</summary>
        internal List<int>? Waiting { get; set; }

        /// <summary>The session's event count once the waiting items (or the step in flight) are stepped.</summary>
        internal long Target { get; set; }

        /// <summary>A ranking of the current state and recent items (null after either changed).</summary>
        internal Ranking? Ranking { get; set; }
    }
}

/// <summary>
/// One step of a companion, in flight: the token its result comes back with (<see cref="UserSession.CompanionStepCompleted"/>);
/// a result whose token the companion no longer waits for (dropped, rebuilt) is ignored. <see cref="Steps"/> and
/// <see cref="Events"/> are what the state reflects once the step is applied.
/// </summary>
public sealed class CompanionStep(ModelKey companion, int items, long steps, long events, bool rebuild)
{
    public ModelKey Companion { get; } = companion;

    public int Items { get; } = items;

    public long Steps { get; } = steps;

    public long Events { get; } = events;

    /// <summary>The step builds the state anew from the recent items (from the new-user state).</summary>
    public bool Rebuild { get; } = rebuild;
}

/// <summary>
/// A query for a companion's ranking, in flight (<see cref="RankCompanion"/>): whom to answer with how many items, and
/// the companion state and session it ranks (the ranking is cached only if both are still the same when it returns).
/// </summary>
public sealed record CompanionQuery(ModelKey Companion, int K, Akka.Actor.IActorRef ReplyTo, int Size, long Steps, long Events, long SessionEvents);

/// <summary>
/// A query named a companion the user's session keeps no state of (not among <see cref="IModelProvider.CompanionsFor"/>
/// the user, or the session is stopping): the reply to it, in a <see cref="Akka.Actor.Status.Failure"/>. It holds its
/// message only, so that it crosses the network as any exception does (Akka's exception support).
/// </summary>
public sealed class UnknownCompanionException(string userId, ModelKey companion, IReadOnlyList<ModelKey> held)
    : Exception($"user {userId} keeps no state of model {companion}: {(held.Count == 0 ? "it has no companion models" : "its companion models are " + string.Join(", ", held))}");
