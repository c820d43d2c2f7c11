namespace Personalization.Actors.Quality;

/// <summary>The data-quality monitors' settings (the node's <c>Personalization:DataQuality:*</c>).</summary>
public sealed record DataQualitySettings
{
    /// <summary>How often the ingest monitor asks the brokers for each owned partition's watermarks (lag, rates, rate drops).</summary>
    public TimeSpan SampleInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Longest one watermark or committed-offset query waits for the broker.</summary>
    public TimeSpan QueryTimeout { get; init; } = TimeSpan.FromSeconds(2);

    public TimestampTolerance Timestamps { get; init; } = new();

    public RateDropSettings RateDrop { get; init; } = new();

    /// <summary>A sentence naming the first value out of range, or null.</summary>
    public string? Problem()
    {
        if (SampleInterval < TimeSpan.FromMilliseconds(100) || SampleInterval > TimeSpan.FromHours(1))
            return $"DataQuality:SampleIntervalSeconds must be from 0.1 to 3600 (is {SampleInterval.TotalSeconds})";
        if (QueryTimeout <= TimeSpan.Zero) return $"the watermark query timeout must be positive (is {QueryTimeout.TotalSeconds} s)";
        return Timestamps.Problem("DataQuality:FutureToleranceSeconds", "DataQuality:PastToleranceSeconds")
            ?? RateDrop.Problem("DataQuality:");
    }
}

/// <summary>Consumer lag from a partition's positions, pure.</summary>
public static class ConsumerLag
{
    /// <summary>
    /// Lag of one partition: records from the committed position to the end (Kafka's consumer-group lag), and from the
    /// end of the acknowledged (durable) prefix to the end. Positions of -1 are unknown: the committed one falls back
    /// on the group's committed offset asked of the broker, then on the low watermark (a group with no commit starts
    /// at the earliest record); the acknowledged one on the committed one. -1 when the high watermark is unknown.
    /// Never negative (a commit can be newer than the watermark that was read before it).
    /// </summary>
    public static (long Lag, long UnacknowledgedLag) Of(long high, long low, long committed, long committable, long groupCommitted)
    {
        if (high < 0) return (-1, -1);
        var start = committed >= 0 ? committed : groupCommitted >= 0 ? groupCommitted : Math.Max(low, 0);
        var acknowledged = Math.Max(committable, start);
        return (Math.Max(0, high - start), Math.Max(0, high - acknowledged));
    }
}
