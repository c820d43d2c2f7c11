using System.Text.Json.Serialization;

namespace Personalization.Node.Http.Admin;

// Bodies of the item-availability endpoints (/admin/items/…, console `item withdraw|restore|withdrawn`): a file and a
// JSON context of their own, beside AdminContracts.cs and ConsoleContracts.cs.

/// <summary>The optional body of <c>POST /admin/items/{itemId}/withdraw</c>: why (licensing, a takedown, …).</summary>
public sealed record ItemWithdrawRequest(string? Reason);

/// <summary>
/// A withdrawal or restore as the node produced it: where it is in the availability topic, and whether this node's
/// snapshot already reflects it (<see cref="AppliedHere"/>; every node applies it within seconds, this one was waited for).
/// </summary>
public sealed record ItemAvailabilityChangeDto(
    string ItemId, bool Available, string? Reason, string Topic, int Partition, long Offset, bool AppliedHere, string Detail);

/// <summary>One withdrawn item: why, by whom (as the withdrawing console named its operator), since when, and its record.</summary>
public sealed record WithdrawnItemDto(string ItemId, string? Reason, string? By, DateTimeOffset Since, int Partition, long Offset);

/// <summary>
/// <c>GET /admin/items/withdrawn</c>: this node's snapshot. <see cref="Count"/> is every withdrawn item, <see cref="Items"/>
/// the first of them by id (up to the limit asked); <see cref="Detail"/> is the reader's health detail.
/// </summary>
public sealed record WithdrawnItemsDto(string Topic, bool CaughtUp, string Detail, int Count, IReadOnlyList<WithdrawnItemDto> Items);

[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ItemWithdrawRequest))]
[JsonSerializable(typeof(ItemAvailabilityChangeDto))]
[JsonSerializable(typeof(WithdrawnItemsDto))]
public sealed partial class ItemJsonContext : JsonSerializerContext;
