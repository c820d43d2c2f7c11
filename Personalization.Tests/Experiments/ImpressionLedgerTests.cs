using Personalization.Actors.Events;
using Personalization.Actors.Experiments;
using Personalization.Actors.Sessions;
using Xunit;

namespace Personalization.Tests.Experiments;

/// <summary>How a user's next play scores the answer it was shown.</summary>
public sealed class ImpressionLedgerTests
{
    private const long ServedAt = 1_764_000_000_000;
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(30);

    private readonly ImpressionLedger _ledger = new();
    private readonly SessionRecord _record = new("u", 50);
    private readonly List<SessionDecision> _decide = [];

    private static ImpressionServed Shown(string id = "r1", string variant = "candidate", long at = ServedAt) =>
        new("u", id, "exp", [variant], ["a", "b", "c"], [], at);

    private static ApplyEvent Play(string item, long at = ServedAt + 1_000, string? recommendationId = null, EventType type = EventType.Play) =>
        new("u", item, type, at, Actors.Delivery.DeliveryTag.Untracked, recommendationId);

    private List<ExperimentSignal> Signals(ExperimentSignalKind kind) =>
        _decide.OfType<RecordExperimentSignal>().Select(s => s.Signal).Where(s => s.Kind == kind).ToList();

    [Fact]
    public void The_next_play_scores_the_answer_by_its_rank_in_the_served_list()
    {
        _ledger.Served(Shown(), _record, _decide);
        _ledger.Applied(Play("b"), Window, _decide);

        var outcome = Assert.Single(Signals(ExperimentSignalKind.Outcome));
        Assert.Equal(("exp", "candidate", 2), (outcome.Experiment, outcome.Variant, outcome.Rank));
    }

    [Fact]
    public void A_play_of_an_item_not_served_is_a_miss_and_only_the_first_play_counts()
    {
        _ledger.Served(Shown(), _record, _decide);
        _ledger.Applied(Play("z"), Window, _decide);
        _ledger.Applied(Play("a"), Window, _decide);

        Assert.Equal(0, Assert.Single(Signals(ExperimentSignalKind.Outcome)).Rank);
    }

    [Fact]
    public void A_skip_does_not_score_the_answer()
    {
        _ledger.Served(Shown(), _record, _decide);
        _ledger.Applied(Play("a", type: EventType.Skip), Window, _decide);

        Assert.Empty(Signals(ExperimentSignalKind.Outcome));
    }

    [Fact]
    public void A_play_from_before_the_answer_or_after_the_window_does_not_score_it()
    {
        _ledger.Served(Shown(), _record, _decide);
        _ledger.Applied(Play("a", at: ServedAt - 60_000), Window, _decide);
        Assert.Empty(Signals(ExperimentSignalKind.Outcome));

        _ledger.Applied(Play("a", at: ServedAt + (long)Window.TotalMilliseconds + 1), Window, _decide);
        Assert.Empty(Signals(ExperimentSignalKind.Outcome));
    }

    [Fact]
    public void A_later_answer_supersedes_an_earlier_one()
    {
        _ledger.Served(Shown("r1", "control"), _record, _decide);
        _ledger.Served(Shown("r2", "candidate"), _record, _decide);
        _ledger.Applied(Play("c"), Window, _decide);

        var outcome = Assert.Single(Signals(ExperimentSignalKind.Outcome));
        Assert.Equal(("candidate", 3), (outcome.Variant, outcome.Rank));
    }

    [Fact]
    public void A_play_carrying_a_kept_recommendation_id_is_attributed_to_that_answer()
    {
        _ledger.Served(Shown("r1", "control"), _record, _decide);
        _ledger.Served(Shown("r2", "candidate"), _record, _decide);
        _ledger.Applied(Play("x", recommendationId: "r1"), Window, _decide);
        _ledger.Applied(Play("x", recommendationId: "unknown"), Window, _decide);

        Assert.Equal("control", Assert.Single(Signals(ExperimentSignalKind.AttributedPlay)).Variant);
    }

    [Fact]
    public void Interleaving_credits_the_variant_whose_pick_was_played()
    {
        _ledger.Served(new ImpressionServed("u", "r", "exp", ["gru", "pop"], ["a", "b", "c"], [0, 1, 0], ServedAt), _record, _decide);
        _ledger.Applied(Play("b"), Window, _decide);

        Assert.Equal("pop", Assert.Single(Signals(ExperimentSignalKind.Outcome)).Credited);
    }

    [Fact]
    public void An_impression_told_after_the_play_it_should_score_is_scored_by_that_play()
    {
        _record.Apply("z", EventType.Play, ServedAt - 10, -1, -1);
        _record.Apply("b", EventType.Play, ServedAt + 20, -1, -1);
        _ledger.Served(Shown(), _record, _decide);
        _ledger.Applied(Play("a", at: ServedAt + 40), Window, _decide);

        Assert.Equal(2, Assert.Single(Signals(ExperimentSignalKind.Outcome)).Rank);
    }

    [Fact]
    public void A_shadow_impression_scores_the_live_list_and_the_candidates_list_on_the_same_play()
    {
        _ledger.Served(new ImpressionServed("u", "r", "exp", ["live", "candidate"], ["a", "b"], [], ServedAt, ["c", "a"]), _record, _decide);
        _ledger.Applied(Play("a"), Window, _decide);

        var outcomes = Signals(ExperimentSignalKind.Outcome);
        Assert.Equal([("live", 1), ("candidate", 2)], outcomes.Select(o => (o.Variant, o.Rank)));
    }

    [Fact]
    public void Items_passed_over_in_enough_answers_are_held_back_until_played_or_the_window_passes()
    {
        _ledger.Served(new ImpressionServed("u", "r1", "", [], ["a", "b", "c"], [], ServedAt), _record, _decide);
        _ledger.Applied(Play("x"), Window, _decide);
        _ledger.Served(new ImpressionServed("u", "r2", "", [], ["a", "b", "d"], [], ServedAt + 5_000), _record, _decide);
        _ledger.Applied(Play("b", at: ServedAt + 6_000), Window, _decide);

        Assert.Equal(["a"], _ledger.Ignored(2, ServedAt + 7_000, Window));
        Assert.Equal(["a", "c", "d"], _ledger.Ignored(1, ServedAt + 7_000, Window).Order());
        Assert.Empty(_ledger.Ignored(2, ServedAt + 5_000 + (long)Window.TotalMilliseconds + 1, Window));
        Assert.Empty(_decide.OfType<RecordExperimentSignal>()); // answers outside experiments are not counted
    }

    [Fact]
    public void Novelty_counts_served_items_the_session_has_not_seen()
    {
        _record.Apply("a", EventType.Play, ServedAt - 10, -1, -1);
        _ledger.Served(Shown(), _record, _decide);

        var served = Assert.Single(Signals(ExperimentSignalKind.Served));
        Assert.Equal((3, 2), (served.Served, served.Novel));
    }
}
