using Personalization.Actors.Ingest;
using Personalization.Actors.Quality;
using Personalization.Tests.Fuzzing;
using Personalization.Tests.Infrastructure;
using Xunit;
using static Personalization.Actors.Quality.EventTimeRules;

namespace Personalization.Tests.Quality;

/// <summary>The pure rules of data quality: reason classes, time rules, lag arithmetic.</summary>
public sealed class DataQualityRulesTests
{
    [Theory]
    [InlineData(null, "{\"user\":\"u\",\"item\":\"i\",\"type\":\"play\"}", null)]
    [InlineData(null, null, DeadLetterReason.Empty)]
    [InlineData(null, "", DeadLetterReason.Empty)]
    [InlineData(null, "  \n", DeadLetterReason.Empty)]
    [InlineData(null, "{not json", DeadLetterReason.MalformedJson)]
    [InlineData(null, "[1,2]", DeadLetterReason.MalformedJson)]
    [InlineData(null, "{\"user\":\"u\",\"item\":\"i\",\"type\":\"play\"} x", DeadLetterReason.MalformedJson)]
    [InlineData(null, "{\"item\":\"i\",\"type\":\"play\"}", DeadLetterReason.MissingField)]
    [InlineData(null, "{\"user\":\"u\",\"item\":\"i\"}", DeadLetterReason.MissingField)]
    [InlineData(null, "{\"user\":\"u\",\"user\":\"v\",\"item\":\"i\",\"type\":\"play\"}", DeadLetterReason.DuplicateField)]
    [InlineData(null, "{\"user\":1.5,\"item\":\"i\",\"type\":\"play\"}", DeadLetterReason.InvalidField)]
    [InlineData(null, "{\"user\":\" \",\"item\":\"i\",\"type\":\"play\"}", DeadLetterReason.InvalidField)]
    [InlineData(null, "{\"user\":\"u\",\"item\":\"i\",\"type\":\"play\",\"ts\":-5}", DeadLetterReason.InvalidField)]
    [InlineData(null, "{\"user\":\"u\",\"item\":\"i\",\"type\":7}", DeadLetterReason.InvalidField)]
    [InlineData(null, "{\"user\":\"u\",\"item\":\"i\",\"type\":\"dance\"}", DeadLetterReason.UnknownType)]
    [InlineData(null, "{\"user\":\"\\uD800\",\"item\":\"i\",\"type\":\"play\"}", DeadLetterReason.Encoding)]
    [InlineData("other", "{\"user\":\"u\",\"item\":\"i\",\"type\":\"play\"}", DeadLetterReason.KeyMismatch)]
    public void Decoder_reasons_fall_in_their_class(string? key, string? value, DeadLetterReason? expected)
    {
        var ok = KafkaRecordDecoder.TryDecode(key is null ? null : System.Text.Encoding.UTF8.GetBytes(key),
            value is null ? null : System.Text.Encoding.UTF8.GetBytes(value), 0, out _, out _, out var reason);
        Assert.Equal(expected is null, ok);
        if (expected is { } klass) Assert.Equal(klass, DeadLetterReasons.Classify(reason!));
    }

    [Fact]
    public void Encoding_problems_at_the_byte_level_are_encoding()
    {
        Assert.True(!KafkaRecordDecoder.TryDecode(null, [0xFF, 0xFE, 0x7B, 0x00], 0, out _, out _, out var bom));
        Assert.Equal(DeadLetterReason.Encoding, DeadLetterReasons.Classify(bom!));
        Assert.True(!KafkaRecordDecoder.TryDecode(null, [0x7B, 0xC3, 0x28, 0x7D], 0, out _, out _, out var invalid));
        Assert.Equal(DeadLetterReason.Encoding, DeadLetterReasons.Classify(invalid!));
    }

    [Fact]
    public void Internal_errors_are_not_schema_violations()
    {
        Assert.Equal(DeadLetterReason.InternalError, DeadLetterReasons.Classify(DeadLetterReasons.InternalErrorPrefix + "NullReferenceException: x"));
        Assert.Equal(DeadLetterReason.InternalError, DeadLetterReasons.Classify(KafkaRecordDecoder.DecoderFailure + " (X: y)"));
        Assert.False(DeadLetterReasons.IsSchemaViolation(DeadLetterReason.InternalError));
        Assert.All(DeadLetterReasons.All.Where(r => r != DeadLetterReason.InternalError), r => Assert.True(DeadLetterReasons.IsSchemaViolation(r)));
        Assert.Equal(DeadLetterReasons.All.Length, DeadLetterReasons.All.Select(DeadLetterReasons.LabelOf).Distinct().Count());
    }

    [Fact]
    public void Every_reason_the_decoder_gives_hostile_records_has_a_class()
    {
        // The fuzz generator's records (20,000, fixed seed): no reason falls through to "other" — a new decoder message
        // without a class would show up here.
        Fuzz.Run(HostileEvents.KafkaRecord, record =>
        {
            if (KafkaRecordDecoder.TryDecode(record.Key, record.Value, 0, out _, out _, out var reason)) return;
            Assert.True(DeadLetterReasons.Classify(reason!) is not (DeadLetterReason.Other or DeadLetterReason.InternalError), $"unclassified: {reason}");
        }, 20_000, 20_261_203, r => $"key {Fuzz.Describe(r.Key)}, value {Fuzz.Describe(r.Value)}");
    }

    [Theory]
    [InlineData(1_000_000, 1_000_000, TimestampVerdict.InRange)]
    [InlineData(1_000_000 + 300_000, 1_000_000, TimestampVerdict.InRange)] // at the bound
    [InlineData(1_000_000 + 300_001, 1_000_000, TimestampVerdict.Future)]
    [InlineData(1_000_000, 1_000_000 + 600_000, TimestampVerdict.InRange)]
    [InlineData(1_000_000, 1_000_000 + 600_001, TimestampVerdict.Past)]
    [InlineData(0, 253_402_300_799_999, TimestampVerdict.Past)]
    [InlineData(253_402_300_799_999, 0, TimestampVerdict.Future)]
    public void Timestamps_far_from_the_clock_are_future_or_past(long eventMs, long nowMs, TimestampVerdict expected) =>
        Assert.Equal(expected, Classify(eventMs, nowMs, futureToleranceMs: 300_000, pastToleranceMs: 600_000));

    [Fact]
    public void An_event_is_out_of_time_order_only_when_earlier_than_its_users_latest()
    {
        Assert.False(IsOutOfTimeOrder(5, 0, hasPrevious: false));
        Assert.False(IsOutOfTimeOrder(10, 10, hasPrevious: true));
        Assert.False(IsOutOfTimeOrder(11, 10, hasPrevious: true));
        Assert.True(IsOutOfTimeOrder(9, 10, hasPrevious: true));
    }

    [Fact]
    public void Tolerances_must_be_positive()
    {
        Assert.Null(new TimestampTolerance().Problem());
        Assert.Contains("Future", new TimestampTolerance { Future = TimeSpan.Zero }.Problem());
        Assert.Contains("Past", new TimestampTolerance { Past = TimeSpan.FromSeconds(-1) }.Problem());
    }

    [Theory]
    [InlineData(-1, 0, 10, 10, -1, -1, -1)] // no watermark: unknown
    [InlineData(100, 0, 90, 95, -1, 10, 5)]
    [InlineData(100, 0, -1, -1, 80, 20, 20)] // nothing committed by this owner yet: the group's commit
    [InlineData(100, 0, -1, 97, 80, 20, 3)]
    [InlineData(100, 40, -1, -1, -1, 60, 60)] // the group never committed: from the earliest record
    [InlineData(100, 0, 105, 105, -1, 0, 0)] // a commit newer than the watermark read before it
    public void Lag_counts_from_the_committed_and_the_acknowledged_positions(long high, long low, long committed, long committable, long groupCommitted, long lag, long unacknowledged) =>
        Assert.Equal((lag, unacknowledged), ConsumerLag.Of(high, low, committed, committable, groupCommitted));
}
