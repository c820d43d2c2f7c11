using Akka.Actor;
using Akka.TestKit.Xunit2;
using CsCheck;
using Personalization.Actors.Delivery;
using Personalization.Actors.Events;
using Personalization.Actors.Model;
using Personalization.Actors.Sessions;
using Personalization.Actors.Telemetry;
using Personalization.Tests.Infrastructure;
using Xunit;

namespace Personalization.Tests.Sessions;

/// <summary>
/// Companion model states (docs/DESIGN.md, "The user session"; <see cref="CompanionStates"/>): the rules, without
/// actors, as <see cref="UserSessionTests"/> does for the serving model. Companions here are <see cref="OrderedModel"/>s,
/// whose state depends on the order of the items, so "in order" is checked, not only "the same items".
/// </summary>
public sealed class CompanionStatesTests : TestKit
{
    private const long T0 = 1_800_000_000_000;
    private static readonly UserSessionSettings Settings = new() { CheckpointEveryEvents = 1000, MaxEventsPerStep = 4, RecentItems = 5 };
    private readonly FakeModel _model = new("v1");
    private readonly OrderedModel _companion = new("c1");
    private readonly Companions _companions;
    private readonly IActorRef _source;
    private readonly IActorRef _asker;
    private long _offset;

    public CompanionStatesTests()
    {
        _source = CreateTestProbe("source").Ref;
        _asker = CreateTestProbe("asker").Ref;
        _companions = new Companions(_companion);
    }

    private UserSession NewSession(UserSessionSettings? settings = null)
    {
        var session = new UserSession("u1", settings ?? Settings);
        session.RecoveryCompleted();
        return session;
    }

    private ApplyEvent Event(string item, EventType type = EventType.Play)
    {
        var offset = _offset++;
        return new ApplyEvent("u1", item, type, T0 - 10, new DeliveryTag(0, offset, offset - 1, _source));
    }

    private static List<SessionDecision> Decide(Action<List<SessionDecision>> message)
    {
        var decisions = new List<SessionDecision>();
        message(decisions);
        return decisions;
    }

    /// <summary>An event arrives and, if it asks for a serving step, that step completes: the decisions of both.</summary>
    private List<SessionDecision> Apply(UserSession session, ApplyEvent evt, IModelProvider? companions = null)
    {
        companions ??= _companions;
        var decisions = Decide(d => session.EventArrived(evt, _model, T0, d, companions));
        foreach (var step in decisions.OfType<StepModel>().ToList())
            decisions.AddRange(Decide(d => session.StepCompleted(step.Batch, step.Runtime.StepAsync(step.State, step.Items).Result, step.Runtime, _model, T0, d, companions)));
        return decisions;
    }

    private static List<SessionDecision> Complete(UserSession session, StepCompanion step) =>
        Decide(d => session.CompanionStepCompleted(step.Step, step.Runtime.StepAsync(step.State, step.Items).Result, d));

    private static ScoredItem[] Rank(RankCompanion rank) => rank.Runtime.TopKAsync(rank.State, rank.Query.Size, rank.Exclude).Result;

    private static CompanionStates.Companion Held(UserSession session, IModelRuntime model) =>
        Assert.IsType<CompanionStates.Companion>(session.Companions?.Find(ModelKey.Of(model)));

    [Fact]
    public void Every_applied_batch_steps_each_companion_with_the_same_items_in_order()
    {
        var session = NewSession();
        var build = Assert.Single(Apply(session, Event("i3")).OfType<StepCompanion>());
        Assert.True(build.Step.Rebuild); // a companion that appears is built from the recent items: here the first event
        Assert.Equal([3], build.Items);
        Assert.Equal(_companion, build.Runtime);
        Complete(session, build);

        var next = Assert.Single(Apply(session, Event("i7")).OfType<StepCompanion>());
        Assert.False(next.Step.Rebuild);
        Assert.Same(Held(session, _companion).State, next.State);
        Assert.Equal([7], next.Items);
        Complete(session, next);

        var held = Held(session, _companion);
        Assert.Equal(OrderedModel.Stepped(3, 7), held.State);
        Assert.Equal((2L, 2L, false), (held.Steps, held.Events, held.StepInFlight));
        Assert.Equal([10f, 2f], session.Record.State!); // the serving model's own state is untouched by its companion
    }

    [Fact]
    public void Items_applied_while_a_companion_step_is_in_flight_wait_and_go_together_in_its_next_step()
    {
        var session = NewSession();
        var build = Apply(session, Event("i1")).OfType<StepCompanion>().Single();
        Assert.Empty(Apply(session, Event("i2")).OfType<StepCompanion>());
        Assert.Empty(Apply(session, Event("i3", EventType.Skip)).OfType<StepCompanion>()); // a skip steps no model
        Assert.Empty(Apply(session, Event("i4")).OfType<StepCompanion>());

        var next = Assert.Single(Complete(session, build).OfType<StepCompanion>());

        Assert.Equal([2, 4], next.Items);
        Assert.Equal((1L, 1L), (Held(session, _companion).Steps, Held(session, _companion).Events));
        Complete(session, next);
        Assert.Equal(OrderedModel.Stepped(1, 2, 4), Held(session, _companion).State);
        Assert.Equal((3L, 4L), (Held(session, _companion).Steps, Held(session, _companion).Events));
    }

    [Fact]
    public void A_companion_never_holds_up_acknowledgements_checkpoints_or_stopping()
    {
        var session = NewSession();
        var build = Apply(session, Event("i1")).OfType<StepCompanion>().Single();
        Assert.True(Held(session, _companion).StepInFlight);

        var persist = Assert.IsType<PersistCheckpoint>(Assert.Single(Decide(session.CheckpointDue)));
        var ack = Assert.IsType<SendAcknowledgement>(Assert.Single(Decide(d => session.CheckpointPersisted(persist.Checkpoint, d))));
        Assert.Equal([0L], ack.Acknowledgement.Message.Offsets);
        Assert.True(session.IsSettled); // a companion step in flight is not part of it

        Assert.IsType<StopSession>(Assert.Single(Decide(session.StopRequested)));
        Assert.Null(session.Companions); // a session that stops drops its companions
        Assert.Empty(Complete(session, build)); // the step that comes back changes nothing
        Assert.Empty(Apply(session, Event("i2")).OfType<StepCompanion>()); // nor is a stopping session's companion built again
    }

    [Fact]
    public void A_companion_named_after_some_events_is_built_from_the_recent_items_and_a_new_version_is_built_anew()
    {
        var session = NewSession();
        var none = new Companions();
        Apply(session, Event("i1"), none);
        Apply(session, Event("i2", EventType.Skip), none);
        Apply(session, Event("i3"), none);
        Assert.Null(session.Companions);

        var build = Assert.Single(Apply(session, Event("i4")).OfType<StepCompanion>());
        Assert.True(build.Step.Rebuild);
        Assert.Equal([1, 3, 4], build.Items); // the recent items the model steps (the skip is not one), this batch included
        Assert.Equal([0f, 0f], build.State);
        Complete(session, build);
        Assert.Equal((3L, 4L), (Held(session, _companion).Steps, Held(session, _companion).Events));

        var v2 = new OrderedModel("c2");
        _companions.Set(v2);
        var decisions = Apply(session, Event("i5"));
        var rebuilt = Assert.Single(decisions.OfType<StepCompanion>());
        Assert.Equal((v2, true), (rebuilt.Runtime, rebuilt.Step.Rebuild));
        Assert.Equal([1, 3, 4, 5], rebuilt.Items); // the recent items again (5 kept: i1 … i5)
        Assert.Null(session.Companions!.Find(ModelKey.Of(_companion))); // the old version is gone
        Complete(session, rebuilt);
        Assert.Equal(OrderedModel.Stepped(1, 3, 4, 5), Held(session, v2).State);
    }

    [Fact]
    public void A_companion_whose_model_knows_none_of_the_recent_items_has_the_new_user_state_at_once()
    {
        var session = NewSession();
        var stranger = new OrderedModel("other", items: 0, "x1");

        var decisions = Apply(session, Event("i2"), new Companions(stranger));

        Assert.DoesNotContain(decisions, d => d is StepCompanion);
        Assert.Equal([0f, 0f], Held(session, stranger).State!);
        Assert.Equal((0L, 1L), (Held(session, stranger).Steps, Held(session, stranger).Events));
        Assert.Single(session.ServingView()!.Companions);
    }

    [Fact]
    public void A_failed_companion_step_drops_that_state_is_counted_and_the_next_batch_builds_it_again()
    {
        var session = NewSession();
        var build = Apply(session, Event("i1")).OfType<StepCompanion>().Single();
        Complete(session, build);
        var step = Apply(session, Event("i2")).OfType<StepCompanion>().Single();
        var failures = EngineMetrics.CompanionStepFailures.Value;

        var decisions = Decide(d => session.CompanionStepFailed(step.Step, d));

        Assert.Equal(failures + 1, EngineMetrics.CompanionStepFailures.Value);
        Assert.Equal([PublishServingView.Instance], decisions); // the view must not show the dropped state any longer
        Assert.Null(session.Companions);
        Assert.Empty(session.ServingView()!.Companions);
        Assert.Empty(session.Inspect("n", "0", 3, _model).Companions);
        var again = Assert.Single(Apply(session, Event("i3")).OfType<StepCompanion>());
        Assert.True(again.Step.Rebuild);
        Assert.Equal([1, 2, 3], again.Items);
    }

    [Fact]
    public void A_companion_no_longer_named_is_dropped_and_its_step_that_comes_back_is_ignored()
    {
        var session = NewSession();
        var other = new OrderedModel("c9");
        _companions.Set(_companion, other);
        var builds = Apply(session, Event("i1")).OfType<StepCompanion>().ToList();
        Assert.Equal(2, builds.Count);
        Complete(session, builds[1]);

        _companions.Set(other);
        Assert.Empty(Apply(session, Event("i2", EventType.Skip)).OfType<StepCompanion>());

        Assert.Empty(Complete(session, builds[0])); // the dropped companion's build
        Assert.Null(session.Companions!.Find(ModelKey.Of(_companion)));
        Assert.Equal([ModelKey.Of(other)], session.Companions.All.Select(c => c.Key));
        Assert.Equal(2, Held(session, other).Events); // a skip: reflected without a step
        Assert.Equal(["c9"], session.ServingView()!.Companions.Select(c => c.ModelVersion));
    }

    [Fact]
    public void A_user_without_companions_gets_no_companion_decision_and_holds_nothing_for_them()
    {
        var with = NewSession();
        var without = NewSession();
        var none = new Companions();
        var a = new List<Type>();
        var b = new List<Type>();
        _offset = 0;
        foreach (var item in new[] { "i1", "i2", "nope", "i4" }) a.AddRange(Apply(with, Event(item), none).Select(d => d.GetType()));
        _offset = 0;
        foreach (var item in new[] { "i1", "i2", "nope", "i4" })
        {
            var evt = Event(item);
            var decisions = Decide(d => without.EventArrived(evt, _model, T0, d));
            foreach (var step in decisions.OfType<StepModel>().ToList())
                decisions.AddRange(Decide(d => without.StepCompleted(step.Batch, step.Runtime.StepAsync(step.State, step.Items).Result, step.Runtime, _model, T0, d)));
            b.AddRange(decisions.Select(d => d.GetType()));
        }

        Assert.Equal(b, a);
        Assert.DoesNotContain(typeof(StepCompanion), a);
        Assert.Null(with.Companions);
        Assert.Empty(with.ServingView()!.Companions);
        Assert.Empty(with.Inspect("n", "0", 3, _model).Companions);
        Assert.Equal(4, none.Asked); // once per applied batch (here every event is one)
    }

    [Fact]
    public void A_query_for_a_companion_is_ranked_with_its_state_cached_until_the_next_event_cold_while_built_and_refused_when_unknown()
    {
        var session = NewSession();
        var build = Apply(session, Event("i20")).OfType<StepCompanion>().Single();
        var unknown = Assert.IsType<Reply>(Assert.Single(Decide(d => session.CompanionQueryArrived(new ModelKey("nope", "1"), 3, _asker, _companions, d))));
        var refusal = Assert.IsType<UnknownCompanionException>(Assert.IsType<Status.Failure>(unknown.Message).Cause);
        Assert.Equal("user u1 keeps no state of model nope@1: its companion models are ordered@c1", refusal.Message);

        var key = ModelKey.Of(_companion);
        var cold = Assert.IsType<Recommendations>(Assert.IsType<Reply>(Assert.Single(Decide(d => session.CompanionQueryArrived(key, 3, _asker, _companions, d)))).Message);
        Assert.True(cold.ColdStart);
        Assert.Equal((_companion.Name, _companion.Version), (cold.ModelName, cold.ModelVersion));
        Assert.DoesNotContain(cold.Items, i => i.ItemId == "i20");

        Complete(session, build);
        var rank = Assert.IsType<RankCompanion>(Assert.Single(Decide(d => session.CompanionQueryArrived(key, 3, _asker, _companions, d))));
        Assert.Equal((_companion, Held(session, _companion).State), (rank.Runtime, rank.State));
        Assert.Contains(20, rank.Exclude);
        var items = Rank(rank);
        var answer = Assert.IsType<Recommendations>(Assert.IsType<Reply>(Assert.Single(Decide(d => session.CompanionRankingCompleted(rank.Query, items, rank.Runtime, d)))).Message);
        Assert.Equal(items.Take(3).Select(i => _companion.Vocabulary.IdAt(i.Index)), answer.Items.Select(i => i.ItemId));
        Assert.Equal((_companion.Version, 1L, false), (answer.ModelVersion, answer.EventsReflected, answer.ColdStart));

        var cached = Assert.IsType<Reply>(Assert.Single(Decide(d => session.CompanionQueryArrived(key, 5, _asker, _companions, d))));
        Assert.Equal(5, ((Recommendations)cached.Message).Items.Count);
        Complete(session, Apply(session, Event("i2")).OfType<StepCompanion>().Single());
        Assert.IsType<RankCompanion>(Assert.Single(Decide(d => session.CompanionQueryArrived(key, 5, _asker, _companions, d))));
    }

    [Fact]
    public void A_query_for_a_companion_named_since_the_last_batch_builds_it()
    {
        var session = NewSession();
        Apply(session, Event("i4"), new Companions());

        var decisions = Decide(d => session.CompanionQueryArrived(ModelKey.Of(_companion), 3, _asker, _companions, d));

        var build = Assert.Single(decisions.OfType<StepCompanion>());
        Assert.Equal([4], build.Items);
        Assert.True(Assert.IsType<Recommendations>(Assert.Single(decisions.OfType<Reply>()).Message).ColdStart);
    }

    [Fact]
    public void Inspect_shows_each_companion_with_its_model_steps_and_events()
    {
        var session = NewSession();
        var build = Apply(session, Event("i1")).OfType<StepCompanion>().Single();
        Assert.Equal([new CompanionInspection("ordered", "c1", 0, 0, true)], session.Inspect("n", "0", 3, _model).Companions);

        Complete(session, build);
        Apply(session, Event("i5"));

        Assert.Equal([new CompanionInspection("ordered", "c1", 1, 1, false)], session.Inspect("n", "0", 3, _model).Companions);
    }

    /// <summary>
    /// The property: whatever the order in which events arrive, serving steps and companion steps complete, fail and are
    /// retried, and companions are named or not, a companion's state is always the state of stepping, in order, the
    /// items of the first <see cref="CompanionStates.Companion.Events"/> applied events that its model knows; a
    /// companion never has two steps in flight (a new one is only a rebuild of a dropped one); and once everything has
    /// returned, every companion named reflects every applied event.
    /// </summary>
    [Fact]
    public void A_companion_state_always_equals_stepping_the_applied_items_in_order()
    {
        var gen = Gen.Select(Gen.Int[0, 10], Gen.Int[0, 999]).Array[1, 80];
        Fuzz.Run(gen, Interleaving, 400, 20_261_203, ops => string.Join(" ", ops.Select(o => $"{o.Item1}:{o.Item2}")));
    }

    private void Interleaving((int Op, int Choice)[] ops)
    {
        var settings = Settings with { RecentItems = 1000, MaxEventsPerStep = 3 };
        var session = NewSession(settings);
        _offset = 0;
        var wide = new OrderedModel("wide", items: 25); // knows i21..i25, which the serving model does not
        var narrow = new OrderedModel("narrow", items: 10); // knows only i1..i10
        var provider = new Companions(wide, narrow);
        StepModel? serving = null;
        var pending = new List<StepCompanion>();
        var stale = new HashSet<StepCompanion>(ReferenceEqualityComparer.Instance); // steps of a companion dropped since
        var types = new[] { EventType.Play, EventType.Skip, EventType.Like, EventType.AddToPlaylist };

        void Handle(List<SessionDecision> decisions)
        {
            foreach (var decision in decisions)
            {
                switch (decision)
                {
                    case StepModel step:
                        Assert.Null(serving);
                        serving = step;
                        break;
                    case StepCompanion step:
                        var live = pending.Where(p => p.Step.Companion == step.Step.Companion && !stale.Contains(p)).ToList();
                        if (step.Step.Rebuild) stale.UnionWith(live); // a new state: whatever was in flight for the old one is moot
                        else Assert.Empty(live); // one step in flight per companion
                        pending.Add(step);
                        break;
                }
            }
        }

        void Check()
        {
            foreach (var held in session.Companions?.All ?? [])
            {
                if (held.State is null) continue;
                Assert.Equal(Expected(session, held.Runtime, held.Events), held.State);
            }
        }

        foreach (var (op, choice) in ops)
        {
            switch (op)
            {
                case <= 3:
                    var evt = Event("i" + (1 + choice % 25), types[choice / 25 % 4]);
                    Handle(Decide(d => session.EventArrived(evt, _model, T0, d, provider)));
                    break;
                case <= 5 when serving is { } step:
                    serving = null;
                    Handle(Decide(d => session.StepCompleted(step.Batch, _model.StepAsync(step.State, step.Items).Result, _model, _model, T0, d, provider)));
                    break;
                case 6 or 7 when pending.Count > 0:
                    var done = pending[choice % pending.Count];
                    pending.Remove(done);
                    var after = Complete(session, done);
                    if (stale.Contains(done)) Assert.Empty(after);
                    Handle(after);
                    break;
                case 8 when pending.Count > 0:
                    var failed = pending[choice % pending.Count];
                    pending.Remove(failed);
                    Handle(Decide(d => session.CompanionStepFailed(failed.Step, d)));
                    break;
                case 9 when serving is { } step:
                    serving = null;
                    Handle(Decide(d => session.StepFailed(step.Batch, d)));
                    Handle(Decide(d => session.RetryDue(_model, T0, d, provider)));
                    break;
                case 10:
                    if (choice % 2 == 0) provider.Set(wide);
                    else provider.Set(wide, narrow);
                    break;
            }

            Check();
        }

        // Everything returns; then a query per companion named brings the companions in line, and that returns too.
        for (var round = 0; round < 2; round++)
        {
            while (serving is not null || pending.Count > 0)
            {
                if (serving is { } step)
                {
                    serving = null;
                    Handle(Decide(d => session.StepCompleted(step.Batch, _model.StepAsync(step.State, step.Items).Result, _model, _model, T0, d, provider)));
                }
                else
                {
                    var done = pending[0];
                    pending.RemoveAt(0);
                    Handle(Complete(session, done));
                }

                Check();
            }

            foreach (var named in provider.CompanionsFor("u1"))
                Handle(Decide(d => session.CompanionQueryArrived(ModelKey.Of(named), 3, _asker, provider, d)).Where(d => d is not Reply).ToList());
        }

        Assert.Equal(provider.CompanionsFor("u1").Select(ModelKey.Of), session.Companions?.All.Select(c => c.Key) ?? []);
        foreach (var held in session.Companions?.All ?? [])
        {
            Assert.Equal(session.Record.EventCount, held.Events);
            Assert.Equal(Expected(session, held.Runtime, session.Record.EventCount), held.State);
        }
    }

    /// <summary>The state of stepping, in order, the items of the session's first <paramref name="events"/> events that <paramref name="model"/> steps.</summary>
    private static float[] Expected(UserSession session, IModelRuntime model, long events)
    {
        var items = new List<int>();
        for (var i = 0; i < events; i++)
        {
            var recent = session.Record.Recent[i];
            var index = recent.Type.AdvancesModel() ? model.Vocabulary.IndexOf(recent.ItemId) : 0;
            if (index > 0) items.Add(index);
        }

        return model.StepAsync(new float[model.StateSize], [.. items]).Result;
    }

    /// <summary>A provider whose companions for every user are the ones last <see cref="Set"/>; counts how often it is asked.</summary>
    public sealed class Companions(params IModelRuntime[] companions) : IModelProvider
    {
        private IModelRuntime[] _companions = companions;

        public int Asked { get; private set; }

        public void Set(params IModelRuntime[] companions) => _companions = companions;

        public IModelRuntime ForUser(string userId) => throw new NotSupportedException("the session is handed its serving model");

        public IReadOnlyList<IModelRuntime> CompanionsFor(string userId)
        {
            Asked++;
            return _companions;
        }
    }
}

/// <summary>
/// A model whose state depends on the order of its items: items "i1".."iN"; a step folds each index into state[0]
/// (h = (7h + i) mod 10007, exact in float) and counts steps in state[1]; a ranking ranks by index, highest first.
/// </summary>
public sealed class OrderedModel(string version, int items = 20, params string[] extraItems) : IModelRuntime
{
    public string Name => "ordered";

    public string Version { get; } = version;

    public int StateSize => 2;

    public ItemVocabulary Vocabulary { get; } = new(["", .. Enumerable.Range(1, items).Select(i => $"i{i}"), .. extraItems]);

    public IReadOnlyList<int> PopularItems => Enumerable.Range(1, Vocabulary.Count - 1).ToArray();

    public static float[] Stepped(params int[] items)
    {
        var state = new float[2];
        foreach (var item in items) Fold(state, item);
        return state;
    }

    public Task<float[]> StepAsync(float[] state, int[] items, CancellationToken cancellationToken = default)
    {
        var next = (float[])state.Clone();
        foreach (var item in items) Fold(next, item);
        return Task.FromResult(next);
    }

    public Task<ScoredItem[]> TopKAsync(float[] state, int k, IReadOnlyCollection<int> exclude, CancellationToken cancellationToken = default) =>
        Task.FromResult(Enumerable.Range(1, Vocabulary.Count - 1).Reverse().Where(i => !exclude.Contains(i)).Take(k)
            .Select(i => new ScoredItem(i, i + state[0] / 1e5f)).ToArray());

    private static void Fold(float[] state, int item)
    {
        state[0] = (state[0] * 7 + item) % 10007;
        state[1] += 1;
    }
}
