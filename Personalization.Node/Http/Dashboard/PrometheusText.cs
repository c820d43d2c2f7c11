using System.Globalization;
using System.Text;

namespace Personalization.Node.Http.Dashboard;

/// <summary>One sample of the registry: metric name (with _bucket/_sum/_count for histograms), labels, value.</summary>
public sealed record MetricSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value)
{
    public string Label(string name) => Labels.TryGetValue(name, out var v) ? v : "";
}

/// <summary>
/// Reads Prometheus' text exposition format (what <c>/metrics</c> serves), enough for the dashboard: comment lines
/// skipped, <c>name{label="value",…} value</c> lines parsed with the format's escapes (\\, \", \n). A line it cannot
/// read is skipped, never fatal.
/// </summary>
public static class PrometheusText
{
    public static async Task<IReadOnlyList<MetricSample>> CollectAsync(Prometheus.CollectorRegistry registry, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        await registry.CollectAndExportAsTextAsync(buffer, ct);
        return Parse(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
    }

    public static IReadOnlyList<MetricSample> Parse(string text)
    {
        var samples = new List<MetricSample>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0 || line[0] == '#') continue;
            if (TryParseLine(line, out var sample)) samples.Add(sample!);
        }

        return samples;
    }

    private static bool TryParseLine(string line, out MetricSample? sample)
    {
        sample = null;
        var i = 0;
        while (i < line.Length && line[i] != '{' && line[i] != ' ') i++;
        var name = line[..i];
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (i < line.Length && line[i] == '{')
        {
            i++;
            while (i < line.Length && line[i] != '}')
            {
                var eq = line.IndexOf('=', i);
                if (eq < 0 || eq + 1 >= line.Length || line[eq + 1] != '"') return false;
                var key = line[i..eq].Trim().TrimStart(',').Trim();
                var value = new StringBuilder();
                var j = eq + 2;
                for (; j < line.Length && line[j] != '"'; j++)
                {
                    if (line[j] == '\\' && j + 1 < line.Length)
                    {
                        j++;
                        value.Append(line[j] switch { 'n' => '\n', var c => c });
                    }
                    else
                    {
                        value.Append(line[j]);
                    }
                }

                if (j >= line.Length) return false;
                labels[key] = value.ToString();
                i = j + 1;
                while (i < line.Length && line[i] is ',' or ' ') i++;
            }

            i++;
        }

        var rest = line[Math.Min(i, line.Length)..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (name.Length == 0 || rest.Length == 0) return false;
        var number = rest[0] switch
        {
            "+Inf" => double.PositiveInfinity,
            "-Inf" => double.NegativeInfinity,
            "NaN" => double.NaN,
            var n => double.TryParse(n, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : (double?)null,
        };
        if (number is null) return false;
        sample = new MetricSample(name, labels, number.Value);
        return true;
    }
}
