using System.Text.Json;
using System.Text.Json.Serialization;

namespace Personalization.Tests.Faults;

/// <summary>
/// What one fault did to the stream, one JSON line in <see cref="FaultSettings.ResultsFile"/>; bench/faults/run.sh
/// renders the lines as the README's reliability table.
/// </summary>
public sealed record FaultReport(
    string Fault,
    string Store,
    int EventsProduced,
    long Applied,
    long Lost,
    long Duplicated,
    int PoisonProduced,
    int DeadLettered,
    double FaultSeconds,
    double? RecoverSeconds,
    bool Recovered,
    string Notes)
{
    private static readonly Lock Gate = new();
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public DateTimeOffset At { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>1-minute load average when the report was written: fault timings mean little without it.</summary>
    public double LoadAverage { get; init; } = ReadLoadAverage();

    /// <summary>Appends this report as one line (the file is shared by every fault of a run).</summary>
    public void Append()
    {
        var path = FaultSettings.ResultsFile;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var line = JsonSerializer.Serialize(this, Json);
        lock (Gate) File.AppendAllText(path, line + "\n");
    }

    private static double ReadLoadAverage()
    {
        try
        {
            var first = File.ReadAllText("/proc/loadavg").Split(' ')[0];
            return double.Parse(first, System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return -1;
        }
    }
}
