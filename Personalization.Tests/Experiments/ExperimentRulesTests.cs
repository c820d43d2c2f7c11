using System.Collections.Immutable;
using Personalization.Actors.Experiments;
using Xunit;

namespace Personalization.Tests.Experiments;

/// <summary>What operators may do to experiments, decided without Akka or storage.</summary>
public sealed class ExperimentRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 6, 0, 0, TimeSpan.Zero);
    private static readonly Func<string, string?> AllModelsServe = _ => null;

    private static ImmutableDictionary<string, ExperimentDefinition> None => ImmutableDictionary<string, ExperimentDefinition>.Empty;

    private static CreateExperiment Ab(string name = "exp", double a = 50, double b = 50, string? model = "models/candidate") =>
        new(name, ExperimentKind.AbTest, [new VariantDefinition("control", a, null, null), new VariantDefinition("candidate", b, model, null)]);

    private static ExperimentDefinition Created(CreateExperiment create, IReadOnlyDictionary<string, ExperimentDefinition>? existing = null) =>
        ExperimentRules.Decide(existing ?? None, create, AllModelsServe, Now).Accepted!;

    [Fact]
    public void A_new_experiment_is_a_draft_salted_by_its_name_with_buckets_split_by_weight()
    {
        var created = Created(Ab(a: 90, b: 10));

        Assert.Equal(ExperimentStatus.Draft, created.Status);
        Assert.Equal("exp", created.Salt);
        Assert.Equal([9000, 1000], created.Buckets.Counts(2));
        Assert.False(created.IsLive(Now));
    }

    [Theory]
    [InlineData(-1, 1, "the weight must be a finite number ≥ 0")]
    [InlineData(double.NaN, 1, "the weight must be a finite number ≥ 0")]
    [InlineData(double.PositiveInfinity, 1, "the weight must be a finite number ≥ 0")]
    [InlineData(0, 0, "the weights must not all be 0")]
    public void Bad_weights_are_refused_with_a_reason(double a, double b, string reason)
    {
        var decision = ExperimentRules.Decide(None, Ab(a: a, b: b), AllModelsServe, Now);

        Assert.Null(decision.Accepted);
        Assert.Contains(reason, decision.Refusal);
    }

    [Fact]
    public void An_unknown_model_is_refused_with_the_loaders_reason()
    {
        var decision = ExperimentRules.Decide(None, Ab(), m => m == "models/candidate" ? "model folder models/candidate does not exist" : null, Now);

        Assert.Equal("variant \"candidate\": model \"models/candidate\" cannot serve: model folder models/candidate does not exist", decision.Refusal);
    }

    [Fact]
    public void A_name_in_use_is_refused_even_when_that_experiment_is_stopped()
    {
        var stopped = Created(Ab()) with { Status = ExperimentStatus.Stopped };

        var decision = ExperimentRules.Decide(None.Add("exp", stopped), Ab(), AllModelsServe, Now);

        Assert.Contains("exists already", decision.Refusal);
    }

    [Theory]
    [InlineData("Exp", "must be lower-case")]
    [InlineData("", "is empty")]
    [InlineData("-x", "must be lower-case")]
    public void Bad_names_are_refused(string name, string reason) =>
        Assert.Contains(reason, ExperimentRules.Decide(None, Ab(name), AllModelsServe, Now).Refusal);

    [Fact]
    public void Variants_must_be_named_once_and_at_least_two()
    {
        var twice = new CreateExperiment("exp", ExperimentKind.AbTest, [new("a", 1, null, null), new("a", 1, "m", null)]);
        var one = new CreateExperiment("exp", ExperimentKind.AbTest, [new("a", 1, null, null)]);

        Assert.Equal("variant \"a\" is named twice", ExperimentRules.Decide(None, twice, AllModelsServe, Now).Refusal);
        Assert.Equal("an experiment needs at least 2 variants", ExperimentRules.Decide(None, one, AllModelsServe, Now).Refusal);
    }

    [Fact]
    public void Interleaving_compares_exactly_two_different_models()
    {
        var three = new CreateExperiment("i", ExperimentKind.Interleaving, [new("a", 1, null, null), new("b", 1, "m", null), new("c", 1, "n", null)]);
        var same = new CreateExperiment("i", ExperimentKind.Interleaving, [new("a", 1, "m", null), new("b", 1, "m", null)]);

        Assert.Contains("exactly 2", ExperimentRules.Decide(None, three, AllModelsServe, Now).Refusal);
        Assert.Contains("two different models", ExperimentRules.Decide(None, same, AllModelsServe, Now).Refusal);
    }

    [Fact]
    public void Starting_makes_it_live_from_now_and_a_second_one_cannot_start_while_it_runs()
    {
        var first = ExperimentRules.Decide(None.Add("exp", Created(Ab())), new StartExperiment("exp"), AllModelsServe, Now).Accepted!;
        var all = None.Add("exp", first).Add("other", Created(Ab("other")));

        var second = ExperimentRules.Decide(all, new StartExperiment("other"), AllModelsServe, Now);

        Assert.True(first.IsLive(Now));
        Assert.Equal(2, first.Revision);
        Assert.Equal("experiment \"exp\" is running; a user is in one experiment at a time, stop it first", second.Refusal);
    }

    [Fact]
    public void A_stopped_experiment_stays_stopped()
    {
        var stopped = ExperimentRules.Decide(None.Add("exp", Created(Ab())), new StopExperiment("exp"), AllModelsServe, Now).Accepted!;
        var all = None.Add("exp", stopped);

        Assert.False(stopped.IsLive(Now));
        Assert.Contains("create a new one", ExperimentRules.Decide(all, new StartExperiment("exp"), AllModelsServe, Now).Refusal);
        Assert.Contains("already stopped", ExperimentRules.Decide(all, new StopExperiment("exp"), AllModelsServe, Now).Refusal);
    }

    [Fact]
    public void Setting_weights_rebalances_and_names_unknown_variants()
    {
        var running = Created(Ab(a: 50, b: 50)) with { Status = ExperimentStatus.Running };
        var all = None.Add("exp", running);

        var set = ExperimentRules.Decide(all, new SetExperiment("exp", new Dictionary<string, double> { ["candidate"] = 150 }), AllModelsServe, Now).Accepted!;
        var unknown = ExperimentRules.Decide(all, new SetExperiment("exp", new Dictionary<string, double> { ["other"] = 1 }), AllModelsServe, Now);

        Assert.Equal([2500, 7500], set.Buckets.Counts(2));
        Assert.Equal("experiment \"exp\" has no variant \"other\"", unknown.Refusal);
    }

    [Fact]
    public void Start_and_end_times_bound_when_users_are_assigned()
    {
        var create = Ab() with { StartAt = Now.AddHours(1), EndAt = Now.AddHours(2) };
        var started = ExperimentRules.Decide(None.Add("exp", Created(create)), new StartExperiment("exp"), AllModelsServe, Now).Accepted!;

        Assert.False(started.IsLive(Now));
        Assert.True(started.IsLive(Now.AddMinutes(90)));
        Assert.False(started.IsLive(Now.AddHours(2)));
        Assert.Contains("end time must be after", ExperimentRules.Decide(None, Ab() with { StartAt = Now.AddHours(2), EndAt = Now.AddHours(1) }, AllModelsServe, Now).Refusal);
    }

    [Fact]
    public void Commands_for_an_unknown_experiment_are_refused() =>
        Assert.Equal("no experiment named \"nope\"", ExperimentRules.Decide(None, new StartExperiment("nope"), AllModelsServe, Now).Refusal);
}
