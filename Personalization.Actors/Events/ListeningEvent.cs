namespace Personalization.Actors.Events;

/// <summary>One listening event as producers send it: <c>{"user":"…","item":"…","type":"play","ts":1732500000000}</c>.</summary>
/// <param name="Timestamp">Unix epoch milliseconds (UTC).</param>
public sealed record ListeningEvent(string UserId, string ItemId, EventType Type, long Timestamp);
