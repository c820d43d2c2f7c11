using System.Text;
using Personalization.Actors.Events;
using Xunit;

namespace Personalization.Tests.Events;

public class ListeningEventJsonTests
{
    private static (bool Ok, ListeningEvent? Event, string? Error) Parse(string json)
    {
        var ok = ListeningEventJson.TryParse(Encoding.UTF8.GetBytes(json), 42, out var evt, out var error);
        return (ok, evt, error);
    }

    [Fact]
    public void A_complete_event_parses()
    {
        var (ok, evt, _) = Parse("""{"user":"u1","item":"i9","type":"like","ts":1732500000000}""");
        Assert.True(ok);
        Assert.Equal(new ListeningEvent("u1", "i9", EventType.Like, 1732500000000), evt);
    }

    [Fact]
    public void Numeric_ids_keep_their_text_and_a_missing_ts_takes_the_default()
    {
        var (ok, evt, _) = Parse("""{"user":31013,"item":7,"type":"play","extra":{"a":[1,2]}}""");
        Assert.True(ok);
        Assert.Equal(new ListeningEvent("31013", "7", EventType.Play, 42), evt);
    }

    [Fact]
    public void An_ISO_time_is_read_as_UTC_milliseconds()
    {
        var (_, evt, _) = Parse("""{"user":"u","item":"i","type":"skip","ts":"2024-11-25T00:00:00Z"}""");
        Assert.Equal(DateTimeOffset.Parse("2024-11-25T00:00:00Z").ToUnixTimeMilliseconds(), evt!.Timestamp);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("not json", "malformed JSON")]
    [InlineData("[1]", "expected a JSON object")]
    [InlineData("""{"item":"i","type":"play"}""", "missing \"user\"")]
    [InlineData("""{"user":"u","type":"play"}""", "missing \"item\"")]
    [InlineData("""{"user":"u","item":"i"}""", "missing \"type\"")]
    [InlineData("""{"user":"u","item":"i","type":"dance"}""", "unknown \"type\" \"dance\"")]
    [InlineData("""{"user":"","item":"i","type":"play"}""", "\"user\" is empty")]
    [InlineData("""{"user":"u","item":null,"type":"play"}""", "\"item\" must be a string or a number")]
    [InlineData("""{"user":"u","item":"i","type":"play","ts":-5}""", "\"ts\" must be")]
    [InlineData("""{"user":"u","item":"i","type":"play"} {}""", "after the JSON object")]
    [InlineData("""{"user":"u","item":"i","type":"play" """, "malformed JSON")]
    [InlineData("""{"user":"\uD800","item":"i","type":"play"}""", "\"user\" has an unpaired UTF-16 surrogate escape")]
    [InlineData("""{"user":"u","item":"\uDC00x","type":"play"}""", "\"item\" has an unpaired UTF-16 surrogate escape")]
    [InlineData("""{"user":"u","item":"i","type":"\uD834"}""", "\"type\" has an unpaired UTF-16 surrogate escape")]
    [InlineData("""{"\uD800":1,"user":"u","item":"i","type":"play"}""", "a field name has an unpaired UTF-16 surrogate escape")]
    [InlineData("""{"user":"u","item":"i","type":"play","ts":"\uDFFF"}""", "\"ts\" must be")]
    [InlineData("""{"user":"u\u0000","item":"i","type":"play"}""", "\"user\" contains a control character: \"u\\u0000\"")]
    [InlineData("""{"user":"u","item":"a\nb","type":"play"}""", "\"item\" contains a control character")]
    [InlineData("""{"user":1.5e3,"item":"i","type":"play"}""", "\"user\" must be a string or a non-negative integer, found the number 1.5e3")]
    [InlineData("""{"user":-7,"item":"i","type":"play"}""", "non-negative integer")]
    [InlineData("""{"user":"u","item":"i","type":"play","ts":9223372036854775807}""", "\"ts\" must be")]
    [InlineData("""{"user":"u","item":"i","type":"play","ts":1e3}""", "\"ts\" must be")]
    [InlineData("""{"user":"u","item":"i","type":"play","ts":"0001-01-01T00:00:00Z"}""", "\"ts\" must be")]
    [InlineData("""{"user":"u","user":"v","item":"i","type":"play"}""", "\"user\" appears more than once")]
    [InlineData("""{"user":"u","item":"i","type":"play","type":"skip"}""", "\"type\" appears more than once")]
    [InlineData("""{"user":"u","item":"i","type":"\u0007"}""", "unknown \"type\" \"\\u0007\"")]
    public void Invalid_events_are_refused_with_a_reason(string json, string reason)
    {
        var (ok, evt, error) = Parse(json);
        Assert.False(ok);
        Assert.Null(evt);
        Assert.Contains(reason, error);
    }

    [Theory]
    [InlineData(new byte[] { 0xFF }, "not valid UTF-8: byte 0xFF at offset 9")]
    [InlineData(new byte[] { 0xC0, 0xAF }, "not valid UTF-8: byte 0xC0 at offset 9")]
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 }, "not valid UTF-8")]
    public void An_id_that_is_not_UTF_8_is_refused_with_where(byte[] bad, string reason)
    {
        byte[] json = [.. "{\"user\":\""u8, .. bad, .. "\",\"item\":\"i\",\"type\":\"play\"}"u8];
        Assert.False(ListeningEventJson.TryParse(json, 0, out var evt, out var error));
        Assert.Null(evt);
        Assert.Equal(reason, error![..reason.Length]);
    }

    [Fact]
    public void A_UTF_8_byte_order_mark_is_skipped()
    {
        byte[] json = [0xEF, 0xBB, 0xBF, .. """{"user":"u","item":"i","type":"play"}"""u8];
        Assert.True(ListeningEventJson.TryParse(json, 0, out var evt, out _));
        Assert.Equal("u", evt!.UserId);
    }

    [Fact]
    public void UTF_16_is_refused_by_name()
    {
        var json = Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes("""{"user":"u","item":"i","type":"play"}""")).ToArray();
        Assert.False(ListeningEventJson.TryParse(json, 0, out _, out var error));
        Assert.Equal("UTF-16 or UTF-32 byte order mark: the JSON must be UTF-8", error);
    }

    [Fact]
    public void Escaped_spellings_and_surrogate_pairs_are_text_like_any_other()
    {
        var (ok, evt, _) = Parse("""{"\u0075ser":"\uD83D\uDE00","item":"i","type":"pl\u0061y"}""");
        Assert.True(ok);
        Assert.Equal(new ListeningEvent("😀", "i", EventType.Play, 42), evt);
    }

    [Fact]
    public void Nesting_deeper_than_64_in_an_unknown_field_is_refused()
    {
        var (ok, _, error) = Parse("{\"x\":" + new string('[', 100_000) + ",\"user\":\"u\",\"item\":\"i\",\"type\":\"play\"}");
        Assert.False(ok);
        Assert.StartsWith("malformed JSON: The maximum configured depth of 64 has been exceeded", error);
    }

    [Fact]
    public void A_batch_past_the_limit_is_refused_without_reading_the_rest()
    {
        var body = Encoding.UTF8.GetBytes("[" + string.Join(",", Enumerable.Repeat("""{"user":"u","item":"i","type":"play"}""", 4)) + ",garbage");
        Assert.False(ListeningEventJson.TryParseBatch(body, 0, out var events, out var error, maxEvents: 3));
        Assert.Equal("more than 3 events in one request", error);
        Assert.Empty(events);
    }

    [Fact]
    public void A_batch_is_all_or_nothing_and_names_the_bad_index()
    {
        var ok = ListeningEventJson.TryParseBatch(Encoding.UTF8.GetBytes("""[{"user":"u","item":"i","type":"play"},{"user":"u","type":"play"}]"""), 0, out _, out var error);
        Assert.False(ok);
        Assert.StartsWith("event [1]: missing \"item\"", error);

        Assert.True(ListeningEventJson.TryParseBatch(Encoding.UTF8.GetBytes("""[{"user":"u","item":"i","type":"play"},{"user":"v","item":"j","type":"like"}]"""), 0, out var events, out _));
        Assert.Equal(2, events.Count);
    }

    [Fact]
    public void Serialize_then_parse_gives_the_same_event()
    {
        var evt = new ListeningEvent("ü-ser \"quoted\"", "item/1", EventType.AddToPlaylist, 123);
        Assert.True(ListeningEventJson.TryParse(ListeningEventJson.Serialize(evt), 0, out var back, out _));
        Assert.Equal(evt, back);
    }
}
