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
    public void Invalid_events_are_refused_with_a_reason(string json, string reason)
    {
        var (ok, evt, error) = Parse(json);
        Assert.False(ok);
        Assert.Null(evt);
        Assert.Contains(reason, error);
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
