using System.Globalization;
using System.Text.Json;
using Personalization.Node.Http.Admin;
using Spectre.Console;

namespace Personalization.Node.OperatorConsole;

/// <summary>How the console shows experiments and their reports.</summary>
public static class ExperimentViews
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static void List(IAnsiConsole console, ExperimentListDto list)
    {
        if (list.Experiments.Count == 0)
        {
            console.WriteLine("no experiments (experiment create <file> makes one)");
            return;
        }

        var table = ConsoleViews.NewTable("experiment", "kind", "status", "live", "variants", "here", "revision");
        foreach (var e in list.Experiments)
            table.AddRow(ConsoleViews.Cells(e.Name, e.Kind, e.Status, e.Live ? "yes" : "no", Variants(e), Here(e), e.Revision.ToString(Invariant)));
        console.Write(table);
    }

    public static void Show(IAnsiConsole console, ExperimentDto e)
    {
        console.WriteLine($"{e.Name} ({e.Kind}) {e.Status}{(e.Live ? ", live" : "")}, revision {e.Revision}, salt {e.Salt}; "
            + $"from {When(e.StartAt)} to {When(e.EndAt)}; this node: {Here(e)}");
        if (e.Description is { } description) console.WriteLine(description);
        var table = ConsoleViews.NewTable("variant", "weight", "share", "model", "k");
        foreach (var v in e.Variants)
            table.AddRow(ConsoleViews.Cells(v.Name, v.Weight.ToString("0.###", Invariant), v.Share.ToString("P1", Invariant), v.Model ?? "(the node's current model)", v.K?.ToString(Invariant) ?? "(the request's)"));
        console.Write(table);
    }

    public static void Report(IAnsiConsole console, ExperimentReportDto r)
    {
        Show(console, r.Experiment);
        if (r.Interleaving is { } verdict)
        {
            // One list per answer, drafted from both rankers: its counts are the experiment's; the rankers differ by credit.
            var all = r.Variants[0];
            console.WriteLine($"interleaved answers {all.Impressions:N0}, next plays {all.Outcomes:N0}, in the list: {all.Hits:N0} "
                + $"(HR@K {all.HitRate:0.0000} [{all.HitRateCi.Low:0.0000}, {all.HitRateCi.High:0.0000}]), play-through {all.PlayThroughRate:P1}, "
                + $"coverage {all.DistinctItemsServed:N0} items ({all.Coverage:P1}), latency {all.MeanLatencyMs:0.00} ms");
            var credits = ConsoleViews.NewTable("ranker", "model", "plays of its picks", "share of credited plays");
            var decided = Math.Max(1, verdict.WinsA + verdict.WinsB);
            foreach (var v in r.Variants)
                credits.AddRow(ConsoleViews.Cells(v.Name, v.Model ?? "(the node's current model)", v.InterleavingWins.ToString("N0", Invariant), (v.InterleavingWins / (double)decided).ToString("P1", Invariant)));
            console.Write(credits);
            console.WriteLine($"interleaving: plays credited {verdict.A} {verdict.WinsA:N0}, {verdict.B} {verdict.WinsB:N0}, neither {verdict.Undecided:N0}; sign test p = {verdict.P:G3}: "
                + (verdict.Better is { } better ? $"{better} is better" : "no difference shown yet"));
            Footer(console, r);
            return;
        }

        var table = ConsoleViews.NewTable("variant", "answers", "next plays", "HR@K [95 %]", "NDCG@K [95 %]", "MRR", "play-through", "novelty", "coverage", "latency");
        foreach (var v in r.Variants)
        {
            table.AddRow(ConsoleViews.Cells(
                v.Name, v.Impressions.ToString("N0", Invariant), v.Outcomes.ToString("N0", Invariant),
                $"{v.HitRate:0.0000} [{v.HitRateCi.Low:0.0000}, {v.HitRateCi.High:0.0000}]",
                v.NdcgCi is { } n ? $"{v.Ndcg:0.0000} [{n.Low:0.0000}, {n.High:0.0000}]" : v.Ndcg.ToString("0.0000", Invariant),
                v.Mrr.ToString("0.0000", Invariant), v.PlayThroughRate.ToString("P1", Invariant), v.Novelty.ToString("P1", Invariant),
                $"{v.DistinctItemsServed:N0} ({v.Coverage:P1})", $"{v.MeanLatencyMs:0.00} ms"));
        }

        console.Write(table);
        foreach (var c in r.Comparisons)
        {
            console.WriteLine($"{c.Variant} vs {c.Control}: HR@K {c.HitRateDifference:+0.0000;-0.0000} (p = {c.HitRateP:G3}{(c.Significant ? ", significant at 0.05" : ", not significant")}), "
                + $"NDCG@K {c.NdcgDifference:+0.0000;-0.0000} (p = {c.NdcgP:G3}), MRR p = {c.MrrP:G3}");
        }

        Footer(console, r);
    }

    private static void Footer(IAnsiConsole console, ExperimentReportDto r)
    {
        foreach (var warning in r.Warnings) console.MarkupLineInterpolated($"[yellow]warning:[/] {warning}");
        console.WriteLine($"tests: {r.Tests}; catalog {r.CatalogSize:N0} items; counts read from {(r.ReadFromMajority ? "a majority of nodes" : "this node only (a majority did not answer)")}");
    }

    /// <summary>The experiment a local JSON file describes (the body of POST /admin/experiments).</summary>
    public static CreateExperimentRequest ReadDefinition(string file)
    {
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(file), ExperimentJsonContext.Default.CreateExperimentRequest)
                ?? throw new ConsoleFailure(ConsoleExitCodes.Usage, $"{file} holds no experiment");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConsoleFailure(ConsoleExitCodes.Usage, $"cannot read {file}: {e.Message}");
        }
        catch (JsonException e)
        {
            throw new ConsoleFailure(ConsoleExitCodes.Usage, $"{file} is not an experiment definition: {e.Message}");
        }
    }

    private static string Variants(ExperimentDto e) =>
        string.Join(", ", e.Variants.Select(v => e.Kind == "interleaving" ? v.Name : $"{v.Name} {v.Share.ToString("P0", Invariant)}"));

    private static string Here(ExperimentDto e) => e.ServingHere ? "serving" : e.NodeError ?? (e.Live ? "not serving" : "-");

    private static string When(DateTimeOffset? t) => t?.ToString("yyyy-MM-dd HH:mm:ss'Z'", Invariant) ?? "-";
}
