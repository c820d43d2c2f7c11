using System.Text;
using Personalization.Actors.Ingest;
using Xunit;

namespace Personalization.Tests.Ingest;

public class KafkaRecordDecoderTests
{
    private static readonly byte[] Valid = """{"user":"u","item":"i","type":"skip"}"""u8.ToArray();

    [Fact]
    public void A_valid_record_decodes_with_its_key_matched_and_the_record_time_as_default_ts()
    {
        Assert.True(KafkaRecordDecoder.TryDecode("u"u8.ToArray(), Valid, 5, out var evt, out var keyMatched, out var reason));
        Assert.Null(reason);
        Assert.True(keyMatched);
        Assert.Equal(5, evt!.Timestamp);
    }

    [Fact]
    public void A_record_without_a_key_decodes_unmatched()
    {
        Assert.True(KafkaRecordDecoder.TryDecode(null, Valid, 5, out _, out var keyMatched, out _));
        Assert.False(keyMatched);
    }

    [Theory]
    [InlineData(null, "tombstone: the record has no value")]
    [InlineData("", "empty value: expected a JSON listening event")]
    [InlineData("{\"item\":\"i\",\"type\":\"play\"}", "missing \"user\"")]
    public void A_record_without_an_event_is_refused_with_a_sentence(string? value, string reason)
    {
        Assert.False(KafkaRecordDecoder.TryDecode("u"u8.ToArray(), value is null ? null : Encoding.UTF8.GetBytes(value), 5, out var evt, out _, out var error));
        Assert.Null(evt);
        Assert.StartsWith(reason, error);
    }

    [Fact]
    public void A_key_that_is_not_the_user_is_refused_naming_both()
    {
        Assert.False(KafkaRecordDecoder.TryDecode("v"u8.ToArray(), Valid, 0, out _, out _, out var reason));
        Assert.Equal("key \"v\" does not match \"user\" \"u\" in the value", reason);
    }

    [Fact]
    public void A_key_that_is_not_UTF_8_is_refused_and_said_so_printably()
    {
        Assert.False(KafkaRecordDecoder.TryDecode([(byte)'u', 0xFF, 0x01], Valid, 0, out _, out _, out var reason));
        Assert.Equal("key \"u\uFFFD\\u0001\" (the key is not valid UTF-8) does not match \"user\" \"u\" in the value", reason);
    }

    [Fact]
    public void A_huge_key_is_quoted_in_part()
    {
        Assert.False(KafkaRecordDecoder.TryDecode(new byte[1_000_000], Valid, 0, out _, out _, out var reason));
        Assert.StartsWith("key \"" + string.Concat(Enumerable.Repeat("\\u0000", 10)) + "…\" does not match", reason); // 64 characters at most
    }
}
