namespace Personalization.Actors.Quality;

/// <summary>How far an event's timestamp may be from the node's clock before it is counted (not refused).</summary>
public sealed record TimestampTolerance
{
    /// <summary>Ahead of the node's clock by more than this: <see cref="DataQualitySignal.FutureTimestamp"/> (clock skew, a producer setting seconds as ms…).</summary>
    public TimeSpan Future { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Behind the node's clock by more than this: <see cref="DataQualitySignal.PastTimestamp"/> (a replay of old data, a producer sending seconds as ms…).</summary>
    public TimeSpan Past { get; init; } = TimeSpan.FromDays(7);

    /// <summary>A sentence naming the first value out of range, or null.</summary>
    public string? Problem(string futureName = "Future", string pastName = "Past")
    {
        if (Future <= TimeSpan.Zero) return $"{futureName} must be positive (is {Future.TotalSeconds} s)";
        if (Past <= TimeSpan.Zero) return $"{pastName} must be positive (is {Past.TotalSeconds} s)";
        return null;
    }
}

/// <summary>The time rules of data quality, pure (the callers count what they say; nothing is refused for its time).</summary>
public static class EventTimeRules
{
    public enum TimestampVerdict
    {
        InRange,
        Future,
        Past,
    }

    /// <summary>Where <paramref name="eventMs"/> stands against the clock's <paramref name="nowMs"/> and the tolerances (in ms); the bounds themselves are in range.</summary>
    public static TimestampVerdict Classify(long eventMs, long nowMs, long futureToleranceMs, long pastToleranceMs)
    {
        // Differences in long, with no overflow: both times are 0 .. 9999-12-31 in ms (ListeningEventJson's range).
        if (eventMs - nowMs > futureToleranceMs) return TimestampVerdict.Future;
        if (nowMs - eventMs > pastToleranceMs) return TimestampVerdict.Past;
        return TimestampVerdict.InRange;
    }

    /// <summary>
    /// An event is out of time order when its timestamp is earlier than the latest timestamp its user already had
    /// (<paramref name="latestMs"/>; none while <paramref name="hasPrevious"/> is false). Equal times are in order.
    /// </summary>
    public static bool IsOutOfTimeOrder(long eventMs, long latestMs, bool hasPrevious) => hasPrevious && eventMs < latestMs;
}
