namespace Personalization.Actors.Delivery;

/// <summary>
/// To the source that emitted the events: these offsets of <see cref="Partition"/> are durable (or dead-lettered) and
/// may be committed (docs/DESIGN.md, "Delivery protocol").
/// </summary>
public sealed record EventsDurable(int Partition, long[] Offsets);

/// <summary>
/// To the source, from a user that received an event whose predecessor (<see cref="DeliveryTag.PreviousOffset"/>) it
/// never applied — lost on the way (a node died with it, a user stopped before applying it). The source reads the
/// partition again from its oldest unacknowledged offset, so the user gets its events again, in order.
/// </summary>
public sealed record RedeliveryNeeded(int Partition);
