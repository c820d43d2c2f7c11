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
    private Dictionary<string, (int Times, long LastShownMs)>? _ignored; // items shown and passed over

    /// <summary>Items passed over in at least <paramref name="times"/> answers, the last of them within <paramref name="window"/> of <paramref name="nowMs"/>.</summary>
    public IReadOnlyCollection<string> Ignored(int times, long nowMs, TimeSpan window)
    {
        if (_ignored is null) return [];
        List<string>? held = null;
        foreach (var (item, (count, lastShown)) in _ignored)
            if (count >= times && nowMs - lastShown <= (long)window.TotalMilliseconds) (held ??= []).Add(item);
        return held ?? (IReadOnlyCollection<string>)[];
    }

    public int Count => _recent.Count;

    /// <summary>An impression arrived: it is the one the next play scores; novelty is counted against the session's items.</summary>
    public void Served(ImpressionServed impression, SessionRecord record, List<SessionDecision> decide)
    {
        if (_recent.Count == Kept) _recent.Dequeue();
        _recent.Enqueue(impression);
        _open = impression;

        if (impression.Experiment.Length == 0)
        {
            ScoreLate(impression, record, decide);
            return;
        }

        var novel = 0;
        foreach (var item in impression.Items)
            if (!Played(record, item)) novel++;
        decide.Add(new RecordExperimentSignal(new ExperimentSignal(
            ExperimentSignalKind.Served, impression.Experiment, impression.Variant, 0, null, impression.Items.Length, novel)));
        if (impression.ShadowItems is { } shadow && impression.Variants.Length > 1)
        {
            var shadowNovel = 0;
            foreach (var item in shadow)
                if (!Played(record, item)) shadowNovel++;
            decide.Add(new RecordExperimentSignal(new ExperimentSignal(ExperimentSignalKind.Served, impression.Experiment, impression.Variants[1], 0, null, shadow.Length, shadowNovel)));
        }

        ScoreLate(impression, record, decide);
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
                if (kept.Experiment.Length > 0) decide.Add(new RecordExperimentSignal(new ExperimentSignal(ExperimentSignalKind.AttributedPlay, kept.Experiment, kept.Variant, 0, null, 0, 0)));
                break;
            }
        }

        if (_open is not { } open) return;
        if (evt.Timestamp < open.ServedAtMs - ClockSkewMs) return; // played before the answer was shown
        _open = null;
        if (evt.Timestamp > open.ServedAtMs + (long)window.TotalMilliseconds) return; // too late to credit the answer
        Score(open, evt.ItemId, decide);
    }

    private void Score(ImpressionServed open, string playedItem, List<SessionDecision> decide)
    {
        PassedOver(open, playedItem);
        if (open.Experiment.Length == 0) return; // an answer outside experiments: only the ignored-items rule reads it
        var rank = OnlineOutcome.Of(open.Items, playedItem).Rank;
        var credited = rank > 0 && open.Teams.Length >= rank && open.Teams[rank - 1] < open.Variants.Length ? open.Variants[open.Teams[rank - 1]] : null;
        decide.Add(new RecordExperimentSignal(new ExperimentSignal(ExperimentSignalKind.Outcome, open.Experiment, open.Variant, rank, credited, open.Items.Length, 0)));
        if (open.ShadowItems is { } shadow && open.Variants.Length > 1)
            decide.Add(new RecordExperimentSignal(new ExperimentSignal(
                ExperimentSignalKind.Outcome, open.Experiment, open.Variants[1], OnlineOutcome.Of(shadow, playedItem).Rank, null, shadow.Length, 0)));
    }

    // The impression came after a play it should score (a shadow ranking is told after the answer, a remote node's
    // impression crosses the network): the first play the session applied at or after the answer is its outcome.
    private void ScoreLate(ImpressionServed impression, SessionRecord record, List<SessionDecision> decide)
    {
        for (var i = 0; i < record.Recent.Count; i++)
        {
            var played = record.Recent[i];
            if (played.Type != EventType.Play || played.Timestamp < impression.ServedAtMs) continue;
            Score(impression, played.ItemId, decide);
            _open = null;
            return;
        }
    }

    private void PassedOver(ImpressionServed shown, string playedItem)
    {
        _ignored ??= new Dictionary<string, (int, long)>(StringComparer.Ordinal);
        _ignored.Remove(playedItem);
        foreach (var item in shown.Items)
        {
            if (string.Equals(item, playedItem, StringComparison.Ordinal)) continue;
            _ignored[item] = (_ignored.TryGetValue(item, out var seen) ? seen.Times + 1 : 1, shown.ServedAtMs);
        }

        // Bounded: a user shown many lists keeps the items passed over most recently.
        if (_ignored.Count > MaxIgnored)
            foreach (var stale in _ignored.OrderBy(kv => kv.Value.LastShownMs).Take(_ignored.Count - MaxIgnored).Select(kv => kv.Key).ToList())
                _ignored.Remove(stale);
    }

    private const int MaxIgnored = 500;

    private static bool Played(SessionRecord record, string item)
    {
        for (var i = 0; i < record.Recent.Count; i++)
            if (string.Equals(record.Recent[i].ItemId, item, StringComparison.Ordinal)) return true;
        return false;
    }
}
