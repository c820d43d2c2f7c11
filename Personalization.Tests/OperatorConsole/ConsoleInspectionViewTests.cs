using System.Text.Json;
using Personalization.Node.Http;
using Personalization.Node.Http.Admin;
using Personalization.Node.OperatorConsole;
using Spectre.Console;
using Xunit;

namespace Personalization.Tests.OperatorConsole;

/// <summary><c>user inspect</c>'s companion line (docs/DESIGN.md, "The user session": companion states), rendered without a node.</summary>
public sealed class ConsoleInspectionViewTests
{
    private static readonly UserInspectionDto Inspection = new(
        "u1", "akka.tcp://p@h:1", "3", "akka.tcp://p@h:1",
        new SessionDto("u1", 4, new Dictionary<string, long> { ["play"] = 4 }, 1000, 4000, [], "v1", 4, [], []),
        "gru-games", 64, 1.5, [], 0, false, 0, 0, "cached", []);

    private static string Render(UserInspectionDto inspection)
    {
        var output = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.No, Out = new AnsiConsoleOutput(output),
        });
        console.Profile.Width = 200;
        ConsoleViews.Inspection(console, inspection);
        return output.ToString();
    }

    [Fact]
    public void Companions_are_one_line_with_model_version_steps_and_events_and_none_print_nothing()
    {
        var text = Render(Inspection with
        {
            Companions = [new CompanionStateDto("gru-games", "v2", 3, 4, false), new CompanionStateDto("shadow", "7", 0, 0, true)],
        });

        Assert.Contains("companions: gru-games v2, 3 steps, 4 events; shadow 7 (being built from the recent items)", text);
        Assert.DoesNotContain("companions", Render(Inspection with { Companions = [] }));
        Assert.DoesNotContain("companions", Render(Inspection)); // a node that predates them
    }

    [Fact]
    public void The_inspection_body_carries_its_companions_and_a_body_without_them_reads()
    {
        var body = JsonSerializer.Serialize(Inspection with { Companions = [new CompanionStateDto("gru-games", "v2", 3, 4, false)] }, ConsoleJsonContext.Default.UserInspectionDto);
        Assert.Equal([new CompanionStateDto("gru-games", "v2", 3, 4, false)], JsonSerializer.Deserialize(body, ConsoleJsonContext.Default.UserInspectionDto)!.Companions!);

        var old = JsonSerializer.Serialize(Inspection, ConsoleJsonContext.Default.UserInspectionDto).Replace(",\"companions\":null", "").Replace(",\"Companions\":null", "");
        Assert.DoesNotContain("ompanions", old);
        Assert.Null(JsonSerializer.Deserialize(old, ConsoleJsonContext.Default.UserInspectionDto)!.Companions);
    }
}
