using System.Globalization;
using Personalization.Node.Http.Admin;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Personalization.Node.OperatorConsole;

/// <summary>How <c>item withdraw | restore | withdrawn</c> answers look in a terminal (beside <see cref="ConsoleViews"/>).</summary>
public static class ItemViews
{
    public static void Change(IAnsiConsole console, ItemAvailabilityChangeDto change) =>
        console.WriteLine($"{(change.Available ? "restored" : "withdrawn")}: item {change.ItemId}" +
                          $"{(change.Reason is { } r ? $" ({r})" : "")} — {change.Topic} {change.Partition}/{change.Offset}; {change.Detail}");

    public static void Withdrawn(IAnsiConsole console, WithdrawnItemsDto withdrawn)
    {
        console.WriteLine(withdrawn.CaughtUp ? $"this node: {withdrawn.Detail}" : $"this node has not read {withdrawn.Topic} to its end yet: {withdrawn.Detail}");
        if (withdrawn.Items.Count == 0) return;
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var header in new[] { "item", "reason", "by", "since", "record" }) table.AddColumn(new TableColumn(new Text(header)));
        foreach (var i in withdrawn.Items)
        {
            table.AddRow(new IRenderable[]
            {
                new Text(i.ItemId), new Text(i.Reason ?? "-"), new Text(i.By ?? "-"),
                new Text(i.Since.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture)), new Text($"{i.Partition}/{i.Offset}"),
            });
        }

        console.Write(table);
        if (withdrawn.Items.Count < withdrawn.Count) console.WriteLine($"showing the first {withdrawn.Items.Count} by item id; item withdrawn <n> shows more");
    }
}
