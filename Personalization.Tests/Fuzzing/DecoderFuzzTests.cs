using System.Text;
using Personalization.Actors.Events;
using Personalization.Actors.Ingest;
using Personalization.Node.Http;
using Personalization.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Personalization.Tests.Fuzzing;

/// <summary>
/// The decoders against hostile input (<see cref="HostileEvents"/>), 100,000 inputs each with a fixed seed in the
/// normal run; <c>PERSONALIZATION_FUZZ_ITERATIONS=10000000</c> runs longer. Whatever the bytes: no exception, exactly
/// one of (event, reason), a reason short and printable, an accepted event valid and stable under re-serialization.
/// </summary>
public sealed class DecoderFuzzTests(ITestOutputHelper output)
{
    private const ulong Seed = 20_261_201;
    private const long DefaultTimestamp = 1_700_000_000_000;
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    [Fact]
    public void The_Kafka_record_decoder_turns_any_record_into_an_event_or_a_printable_reason()
    {
        Fuzz.Run(HostileEvents.KafkaRecord, record =>
        {
            var ok = KafkaRecordDecoder.TryDecode(record.Key, record.Value, DefaultTimestamp, out var evt, out var keyMatched, out var reason);

            AssertExactlyOneOutcome(ok, evt, reason);
            if (!ok)
            {
                // The decoder's safety net turns an exception into this reason: it must never have fired.
                Assert.DoesNotContain(KafkaRecordDecoder.DecoderFailure, reason);
                return;
            }

            AssertValid(evt!);
            if (keyMatched) Assert.Equal(record.Key, Encoding.UTF8.GetBytes(evt!.UserId));
            else Assert.True(record.Key is null or { Length: 0 });
            Assert.True(KafkaRecordDecoder.TryDecode(record.Key, ListeningEventJson.Serialize(evt!), 0, out var again, out _, out _));
            Assert.Equal(evt, again);
        }, Fuzz.Iterations(100_000), Seed, r => $"key {Fuzz.Describe(r.Key)}, value {Fuzz.Describe(r.Value)}", output, "Kafka record decoder");
    }

    [Fact]
    public void The_HTTP_batch_decoder_turns_any_body_into_events_or_a_printable_reason()
    {
        Fuzz.Run(HostileEvents.HttpBody, body =>
        {
            var ok = ListeningEventJson.TryParseBatch(body, DefaultTimestamp, out var events, out var error, EventEndpoints.MaxEventsPerRequest);

            if (!ok)
            {
                AssertReason(error);
                Assert.Empty(events); // nothing half-accepted
                return;
            }

            Assert.Null(error);
            Assert.InRange(events.Count, 0, EventEndpoints.MaxEventsPerRequest);
            foreach (var evt in events) AssertValid(evt);
            Assert.True(ListeningEventJson.TryParseBatch(SerializeArray(events), 0, out var reparsed, out _));
            Assert.True(events.SequenceEqual(reparsed), "the accepted events changed through Serialize");
        }, Fuzz.Iterations(100_000), Seed, Fuzz.Describe, output, "HTTP batch decoder");
    }

    [Fact]
    public void A_valid_event_serialized_decodes_to_itself_with_its_key_matched()
    {
        Fuzz.Run(HostileEvents.ValidEvent, evt =>
        {
            Assert.True(KafkaRecordDecoder.TryDecode(Encoding.UTF8.GetBytes(evt.UserId), ListeningEventJson.Serialize(evt), 0, out var back, out var keyMatched, out var reason), reason);
            Assert.Equal(evt, back);
            Assert.True(keyMatched);
        }, Fuzz.Iterations(20_000), Seed, e => e.ToString(), output, "serialize round trip");
    }

    [Fact]
    public void Every_legal_spelling_of_an_event_decodes_to_that_event()
    {
        Fuzz.Run(HostileEvents.LegalSpelling, spelled =>
        {
            // The event's own time as the default: a spelling without "ts" then decodes to the same event.
            Assert.True(ListeningEventJson.TryParse(spelled.Json, spelled.Event.Timestamp, out var back, out var reason), reason);
            Assert.Equal(spelled.Event, back);
        }, Fuzz.Iterations(20_000), Seed, s => Fuzz.Describe(s.Json), output, "legal spellings");
    }

    private static byte[] SerializeArray(List<ListeningEvent> events)
    {
        var array = new List<byte>(events.Count * 80) { (byte)'[' };
        foreach (var evt in events)
        {
            if (array.Count > 1) array.Add((byte)',');
            array.AddRange(ListeningEventJson.Serialize(evt));
        }

        array.Add((byte)']');
        return array.ToArray();
    }

    private static void AssertExactlyOneOutcome(bool ok, ListeningEvent? evt, string? reason)
    {
        if (ok)
        {
            Assert.NotNull(evt);
            Assert.Null(reason);
        }
        else
        {
            Assert.Null(evt);
            AssertReason(reason);
        }
    }

    private static void AssertReason(string? reason)
    {
        Assert.False(string.IsNullOrWhiteSpace(reason));
        Assert.InRange(reason!.Length, 1, ReasonText.MaxLength);
        Assert.True(ReasonText.IsPrintable(reason), $"not printable: {ReasonText.Quote(reason, ReasonText.MaxLength)}");
    }

    private static void AssertValid(ListeningEvent evt)
    {
        foreach (var id in new[] { evt.UserId, evt.ItemId })
        {
            Assert.InRange(id.Length, 1, ListeningEventJson.MaxIdLength);
            Assert.False(string.IsNullOrWhiteSpace(id));
            Assert.DoesNotContain(id, char.IsControl);
            StrictUtf8.GetByteCount(id); // throws on an unpaired surrogate
        }

        Assert.True(Enum.IsDefined(evt.Type));
        Assert.InRange(evt.Timestamp, 0, ListeningEventJson.MaxTimestamp);
    }
}
