using Personalization.Actors.Events;
using Personalization.Actors.Sessions;

namespace Personalization.Actors.Experiments;

/// <summary>
/// A user's last few experiment impressions and the rule that scores them, free of Akka: the first play after the
/// latest impression (within <see cref="UserSessionSettings.AttributionWindow"/>, by the event's own time) is that
/// impression's outcome; a play whose <c>recommendationId</c> names a kept impression is attributed to it. Older
/// impressions are superseded: a surface that asked twice showed the second list. Not checkpointed — a user that moves
/// or restarts loses at most its open impressions, which only shrinks the sample.
/// </summary>
public sealed class ImpressionLedger
{
    /// <summary>Impressions kept for attribution by id.</summary>
    public const int Kept = 4;

    // Events a little older than the answer still count: producers' clocks are not the engine's.
    private const long ClockSkewMs = 5_000;

    private readonly Queue<ImpressionServed> _recent = new(Kept);
    private ImpressionServed? _open;

    public int Count => _recent.Count;

    /// <summary>An impression arrived: it is the one the next play scores; novelty is counted against the session's items.</summary>
    public void Served(ImpressionServed impression, SessionRecord record, List<SessionDecision> decide)
    {
        if (_recent.Count == Kept) _recent.Dequeue();
        _recent.Enqueue(impression);
        _open = impression;
        var novel = 0;
        foreach (var item in impression.Items)
            if (!Played(record, item)) novel++;
        decide.Add(new RecordExperimentSignal(new ExperimentSignal(
            ExperimentSignalKind.Served, impression.Experiment, impression.Variant, 0, null, impression.Items.Length, novel)));
    }

    /// <summary>An event became part of the session.</summary>
    public void Applied(ApplyEvent evt, TimeSpan window, List<SessionDecision> decide)
    {
        if (evt.Type != EventType.Play) return;
        if (evt.RecommendationId is { } id)
        {
            foreach (var kept in _recent)
            {
                if (!string.Equals(kept.RecommendationId, id, StringComparison.Ordinal)) continue;
                decide.Add(new RecordExperimentSignal(new ExperimentSignal(ExperimentSignalKind.AttributedPlay, kept.Experiment, kept.Variant, 0, null, 0, 0)));
                break;
            }
        }

        if (_open is not { } open) return;
        if (evt.Timestamp < open.ServedAtMs - ClockSkewMs) return; // played before the answer was shown
        _open = null;
        if (evt.Timestamp > open.ServedAtMs + (long)window.TotalMilliseconds) return; // too late to credit the answer
        var rank = OnlineOutcome.Of(open.Items, evt.ItemId).Rank;
        var credited = rank > 0 && open.Teams.Length >= rank && open.Teams[rank - 1] < open.Variants.Length ? open.Variants[open.Teams[rank - 1]] : null;
        decide.Add(new RecordExperimentSignal(new ExperimentSignal(ExperimentSignalKind.Outcome, open.Experiment, open.Variant, rank, credited, open.Items.Length, 0)));
    }

    private static bool Played(SessionRecord record, string item)
    {
        for (var i = 0; i < record.Recent.Count; i++)
            if (string.Equals(record.Recent[i].ItemId, item, StringComparison.Ordinal)) return true;
        return false;
    }
}
