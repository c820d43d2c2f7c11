namespace Personalization.Actors.Events;

/// <summary>One listening event as producers send it: <c>{"user":"…","item":"…","type":"play","ts":1732500000000}</c>.</summary>
/// <param name="Timestamp">Unix epoch milliseconds (UTC).</param>
/// <param name="RecommendationId">The answer the play came from, when the surface says (<c>"recommendationId"</c>): attributes it to that answer's experiment variant.</param>
public sealed record ListeningEvent(string UserId, string ItemId, EventType Type, long Timestamp, string? RecommendationId = null);
