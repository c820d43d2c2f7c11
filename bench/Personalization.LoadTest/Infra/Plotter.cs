namespace Personalization.LoadTest.Infra;

/// <summary>PNG line plots with ScottPlot.</summary>
public static class Plotter
{
    public static void Save(Plot plot, string path)
    {
        try
        {
            var p = new ScottPlot.Plot();
            var palette = new ScottPlot.Palettes.Category10();
            var i = 0;
            foreach (var line in plot.Lines)
            {
                if (line.X.Length == 0) continue;
                var ys = plot.LogY ? line.Y.Select(y => Math.Log10(Math.Max(y, 1e-3))).ToArray() : line.Y;
                var s = p.Add.Scatter(line.X, ys);
                s.LegendText = line.Label;
                s.Color = palette.GetColor(i++);
                s.LineWidth = 2;
                s.MarkerSize = line.X.Length > 40 ? 0 : 6;
            }

            if (plot.LogY)
            {
                var ticks = new ScottPlot.TickGenerators.LogMinorTickGenerator();
                var gen = new ScottPlot.TickGenerators.NumericAutomatic { MinorTickGenerator = ticks, IntegerTicksOnly = true, LabelFormatter = y => $"{Math.Pow(10, y):G4}" };
                p.Axes.Left.TickGenerator = gen;
            }

            p.Title(plot.Title);
            p.XLabel(plot.XLabel);
            p.YLabel(plot.YLabel);
            p.ShowLegend(ScottPlot.Alignment.UpperLeft);
            p.SavePng(path, 900, 500);
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"plot {path} failed: {e.Message}");
        }
    }
}
