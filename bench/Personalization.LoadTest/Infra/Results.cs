using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Personalization.LoadTest.Infra;

/// <summary>One scenario's output: table rows (first row's keys = columns), headline figures, notes, plot series.</summary>
public sealed class ScenarioResult
{
    public required string Scenario { get; init; }
    public string Title { get; init; } = "";
    public string Started { get; init; } = DateTimeOffset.UtcNow.ToString("u", CultureInfo.InvariantCulture);
    public double LoadAverageAtStart { get; init; } = Infra.Machine.LoadAverage();
    public string Machine { get; init; } = Infra.Machine.Describe();
    public string Command { get; init; } = Infra.Machine.CommandLine();
    public bool Quick { get; init; }
    public List<Dictionary<string, object?>> Rows { get; } = [];
    public Dictionary<string, double> Figures { get; } = [];
    public List<string> Notes { get; } = [];
    public List<Plot> Plots { get; } = [];
    public double DurationSeconds { get; set; }

    public Dictionary<string, object?> Row(params (string Key, object? Value)[] cells)
    {
        var row = cells.ToDictionary(c => c.Key, c => c.Value);
        Rows.Add(row);
        return row;
    }

    public static readonly JsonSerializerOptions Json = new() { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.Never, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public void Save(string outDir)
    {
        File.WriteAllText(Path.Combine(outDir, Scenario + ".json"), JsonSerializer.Serialize(this, Json));
        foreach (var plot in Plots) Plotter.Save(plot, Path.Combine(outDir, plot.File));
    }

    public static ScenarioResult? Load(string path)
    {
        try
        {
            var doc = JsonDocument.Parse(File.ReadAllText(path)).RootElement;
            var r = new ScenarioResult
            {
                Scenario = doc.GetProperty("Scenario").GetString()!,
                Title = doc.GetProperty("Title").GetString() ?? "",
                Started = doc.GetProperty("Started").GetString() ?? "",
                LoadAverageAtStart = doc.GetProperty("LoadAverageAtStart").GetDouble(),
                Machine = doc.GetProperty("Machine").GetString() ?? "",
                Command = doc.GetProperty("Command").GetString() ?? "",
                Quick = doc.GetProperty("Quick").GetBoolean(),
                DurationSeconds = doc.GetProperty("DurationSeconds").GetDouble(),
            };
            foreach (var row in doc.GetProperty("Rows").EnumerateArray())
                r.Rows.Add(row.EnumerateObject().ToDictionary(p => p.Name, p => (object?)Cell(p.Value)));
            foreach (var f in doc.GetProperty("Figures").EnumerateObject()) r.Figures[f.Name] = f.Value.ValueKind == JsonValueKind.Number ? f.Value.GetDouble() : double.NaN;
            foreach (var n in doc.GetProperty("Notes").EnumerateArray()) r.Notes.Add(n.GetString()!);
            foreach (var p in doc.GetProperty("Plots").EnumerateArray()) r.Plots.Add(p.Deserialize<Plot>(Json)!);
            return r;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"skipping {path}: {e.Message}");
            return null;
        }
    }

    private static object? Cell(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Number => e.GetDouble(),
        JsonValueKind.String => e.GetString(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };

    public string ToMarkdown()
    {
        var sb = new StringBuilder();
        sb.AppendLine($"### {Scenario}: {Title}");
        sb.AppendLine();
        sb.AppendLine($"Started {Started}, load average at start {LoadAverageAtStart:0.00}, took {DurationSeconds:0} s{(Quick ? ", **--quick**" : "")}.");
        sb.AppendLine();
        if (Rows.Count > 0)
        {
            var columns = Rows.SelectMany(r => r.Keys).Distinct().ToList();
            sb.AppendLine("| " + string.Join(" | ", columns) + " |");
            sb.AppendLine("|" + string.Join("|", columns.Select(_ => "---")) + "|");
            foreach (var row in Rows)
                sb.AppendLine("| " + string.Join(" | ", columns.Select(c => Format(row.GetValueOrDefault(c)))) + " |");
            sb.AppendLine();
        }

        foreach (var note in Notes) sb.AppendLine($"- {note}");
        if (Notes.Count > 0) sb.AppendLine();
        foreach (var plot in Plots) sb.AppendLine($"![{plot.Title}]({plot.File})");
        if (Plots.Count > 0) sb.AppendLine();
        return sb.ToString();
    }

    public static string Format(object? value) => value switch
    {
        null => "",
        double d when double.IsNaN(d) => "–",
        double d when Math.Abs(d) >= 1000 => d.ToString("N0", CultureInfo.InvariantCulture),
        double d when Math.Abs(d) >= 10 => d.ToString("0.#", CultureInfo.InvariantCulture),
        double d => d.ToString("0.###", CultureInfo.InvariantCulture),
        float f => Format((double)f),
        int i => Format((double)i),
        long l => Format((double)l),
        _ => value.ToString() ?? "",
    };
}

public sealed class Plot
{
    public string File { get; set; } = "";
    public string Title { get; set; } = "";
    public string XLabel { get; set; } = "";
    public string YLabel { get; set; } = "";
    public bool LogY { get; set; }
    public List<Line> Lines { get; set; } = [];
}

public sealed class Line
{
    public string Label { get; set; } = "";
    public double[] X { get; set; } = [];
    public double[] Y { get; set; } = [];
}

public static class Machine
{
    public static double LoadAverage()
    {
        try { return double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture); }
        catch (IOException) { return double.NaN; }
    }

    public static string Describe()
    {
        var cpu = "?";
        try { cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "?"; }
        catch (IOException) { }
        var mem = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024);
        return $"{Environment.ProcessorCount} cores ({cpu}), {mem:0} GiB, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}, server GC {System.Runtime.GCSettings.IsServerGC}";
    }

    public static string CommandLine() => "dotnet run -c Release --project bench/Personalization.LoadTest -- " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1));
}
