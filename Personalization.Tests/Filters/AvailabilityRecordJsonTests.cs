using System.Text;
using Personalization.Actors.Events;
using Personalization.Actors.Filters;
using Personalization.Tests.Fuzzing;
using Personalization.Tests.Infrastructure;
using Xunit;

namespace Personalization.Tests.Filters;

/// <summary>The records of the availability topic: what withdraws, what re-enables, and what is refused with a reason.</summary>
public sealed class AvailabilityRecordJsonTests
{
    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    private static (AvailabilityUpdate? Update, string? Reason) Decode(string? key, string? value)
    {
        AvailabilityRecordJson.TryDecode(key is null ? null : Bytes(key), value is null ? null : Bytes(value), out var update, out var reason);
        return (update, reason);
    }

    [Fact]
    public void A_record_with_available_false_withdraws_the_item_with_its_reason()
    {
        var (update, reason) = Decode("42", """{"item":"42","available":false,"reason":"licensing","by":"ops@host","note":{"ticket":7}}""");

        Assert.Null(reason);
        Assert.Equal(new AvailabilityUpdate("42", false, "licensing", "ops@host"), update);
    }

    [Fact]
    public void A_record_with_available_true_and_a_tombstone_both_make_the_item_available()
    {
        Assert.Equal(new AvailabilityUpdate("42", true), Decode("42", """{"item":42,"available":true}""").Update);
        Assert.Equal(new AvailabilityUpdate("42", true), Decode("42", null).Update);
    }

    [Theory]
    [InlineData(null, """{"item":"42","available":false}""", "the record has no key")]
    [InlineData("41", """{"item":"42","available":false}""", "the key \"41\" differs from \"item\" \"42\"")]
    [InlineData("42", """{"item":"42"}""", "missing \"available\" (true or false)")]
    [InlineData("42", """{"available":false}""", "missing \"item\"")]
    [InlineData("42", """{"item":"42","available":"false"}""", "\"available\" must be true or false")]
    [InlineData("42", """{"item":"42","available":false,"available":true}""", "\"available\" appears more than once")]
    [InlineData("42", "", "empty value")]
    [InlineData("42", "withdraw 42", "malformed JSON")]
    [InlineData("42", """{"item":"42","available":false,"reason":7}""", "\"reason\" must be a string or null")]
    public void A_record_that_is_not_an_availability_record_is_refused_with_a_reason(string? key, string value, string expected)
    {
        var (update, reason) = Decode(key, value);

        Assert.Null(update);
        Assert.Contains(expected, reason);
    }

    [Fact]
    public void A_withdrawal_as_the_admin_API_writes_it_reads_back_the_same()
    {
        var written = new AvailabilityUpdate("spotify:track:1", false, "takedown \"DMCA\"", "root@vm");

        Assert.True(AvailabilityRecordJson.TryDecode(Bytes(written.ItemId), AvailabilityRecordJson.Serialize(written), out var read, out _));
        Assert.Equal(written, read);
    }

    [Fact]
    public void Any_key_and_value_give_an_update_or_a_short_printable_reason_never_an_exception()
    {
        Fuzz.Run(HostileEvents.KafkaRecord, record =>
        {
            var ok = AvailabilityRecordJson.TryDecode(record.Key, record.Value, out var update, out var reason);

            Assert.Equal(ok, update is not null);
            Assert.Equal(ok, reason is null);
            if (!ok)
            {
                Assert.InRange(reason!.Length, 1, ReasonText.MaxLength);
                Assert.True(ReasonText.IsPrintable(reason), reason);
                return;
            }

            Assert.Null(EventIds.Problem(update!.ItemId, "item"));
            if (record.Value is not null)
            {
                Assert.True(AvailabilityRecordJson.TryDecode(record.Key, AvailabilityRecordJson.Serialize(update), out var again, out _));
                Assert.Equal(update, again);
            }
        }, Fuzz.Iterations(20_000), 20_261_204, r => $"key {Fuzz.Describe(r.Key)}, value {Fuzz.Describe(r.Value)}");
    }
}
