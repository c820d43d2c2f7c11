namespace Personalization.Actors.Events;

/// <summary>What a listener did with an item. Wire names are lower snake case ("add_to_playlist").</summary>
public enum EventType
{
    Play = 1,
    Skip = 2,
    Like = 3,
    AddToPlaylist = 4,
}

public static class EventTypes
{
    /// <summary>Positive events advance the sequence model; a skip is recorded and excluded but does not.</summary>
    public static bool AdvancesModel(this EventType type) => type != EventType.Skip;

    public static string ToWireName(this EventType type) => type switch
    {
        EventType.Play => "play",
        EventType.Skip => "skip",
        EventType.Like => "like",
        EventType.AddToPlaylist => "add_to_playlist",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown event type"),
    };

    public static bool TryParse(ReadOnlySpan<char> name, out EventType type)
    {
        switch (name)
        {
            case "play": type = EventType.Play; return true;
            case "skip": type = EventType.Skip; return true;
            case "like": type = EventType.Like; return true;
            case "add_to_playlist": type = EventType.AddToPlaylist; return true;
            default: type = default; return false;
        }
    }

    /// <summary>Reads the string token the reader stands on without allocating (also matches an escaped spelling).</summary>
    internal static bool TryParse(ref System.Text.Json.Utf8JsonReader reader, out EventType type)
    {
        if (reader.ValueTextEquals("play"u8)) type = EventType.Play;
        else if (reader.ValueTextEquals("skip"u8)) type = EventType.Skip;
        else if (reader.ValueTextEquals("like"u8)) type = EventType.Like;
        else if (reader.ValueTextEquals("add_to_playlist"u8)) type = EventType.AddToPlaylist;
        else
        {
            type = default;
            return false;
        }

        return true;
    }

    public const string AllowedNames = "play, skip, like, add_to_playlist";
}
