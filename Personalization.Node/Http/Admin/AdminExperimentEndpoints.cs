using System.Collections.Immutable;
using Akka.Actor;
using Akka.Hosting;
using Personalization.Actors.Experiments;
using Personalization.Actors.Model;
using Personalization.Node.Experiments;
using Personalization.Node.Hosting;

namespace Personalization.Node.Http.Admin;

/// <summary>
/// <c>experiment list | show | create | start | stop | set | report</c>. Changes are decided by
/// <see cref="ExperimentRules"/> on this node and replicated to every node (docs/DESIGN.md, "Experiments"); a refused
/// change answers 400 (or 404, 409) with the reason and changes nothing.
/// </summary>
internal static class AdminExperimentEndpoints
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    public static void MapAdminExperimentEndpoints(this IEndpointRouteBuilder admin, AdminAudit audit)
    {
        admin.MapGet("/experiments", (ExperimentDirectory directory, ExperimentModels models) =>
            Results.Json(new ExperimentListDto([.. directory.All.Values.OrderBy(e => e.CreatedAt).Select(e => Describe(e, models))]), ExperimentJsonContext.Default.ExperimentListDto));

        admin.MapGet("/experiments/{name}", (string name, ExperimentDirectory directory, ExperimentModels models) =>
            directory.All.TryGetValue(name, out var e)
                ? Results.Json(Describe(e, models), ExperimentJsonContext.Default.ExperimentDto)
                : AdminEndpoints.Error(StatusCodes.Status404NotFound, $"no experiment named \"{Actors.Events.ReasonText.Quote(name)}\""));

        admin.MapPost("/experiments", async (CreateExperimentRequest? request, IRequiredActor<ExperimentReplicator> replicator, ExperimentModels models, HttpContext http, CancellationToken ct) =>
        {
            if (ToCommand(request) is not { } command)
                return Refused(audit, http, "experiment create", request?.Name ?? "", StatusCodes.Status400BadRequest, CreateProblem(request));
            return await DecideAsync(command, replicator, models, audit, http, "experiment create", StatusCodes.Status201Created, ct);
        });

        admin.MapPost("/experiments/{name}/start", (string name, IRequiredActor<ExperimentReplicator> replicator, ExperimentModels models, HttpContext http, CancellationToken ct) =>
            DecideAsync(new StartExperiment(name), replicator, models, audit, http, "experiment start", StatusCodes.Status200OK, ct));

        admin.MapPost("/experiments/{name}/stop", (string name, IRequiredActor<ExperimentReplicator> replicator, ExperimentModels models, HttpContext http, CancellationToken ct) =>
            DecideAsync(new StopExperiment(name), replicator, models, audit, http, "experiment stop", StatusCodes.Status200OK, ct));

        admin.MapPost("/experiments/{name}/set", (string name, SetExperimentRequest? request, IRequiredActor<ExperimentReplicator> replicator, ExperimentModels models, HttpContext http, CancellationToken ct) =>
            DecideAsync(new SetExperiment(name, request?.Weights, request?.EndAt), replicator, models, audit, http, "experiment set", StatusCodes.Status200OK, ct));

        admin.MapGet("/experiments/{name}/report", async (string name, ExperimentDirectory directory, ExperimentModels models, IRequiredActor<ExperimentReplicator> replicator,
            ModelRegistry registry, ActorSystem system, CancellationToken ct) =>
        {
            if (!directory.All.TryGetValue(name, out var experiment))
                return AdminEndpoints.Error(StatusCodes.Status404NotFound, $"no experiment named \"{Actors.Events.ReasonText.Quote(name)}\"");
            var results = await ExperimentResultsReader.ReadAsync(system, await replicator.GetAsync(ct), experiment, Timeout, ct);
            var catalog = registry.HasModel ? registry.Current.Vocabulary.Count - 1 : 0;
            var report = ExperimentReport.Of(experiment, results.Totals, results.DistinctItems, catalog);
            return Results.Json(ToDto(report, Describe(experiment, models), catalog, results.FromMajority), ExperimentJsonContext.Default.ExperimentReportDto);
        });
    }

    private static async Task<IResult> DecideAsync(
        ExperimentCommand command, IRequiredActor<ExperimentReplicator> replicator, ExperimentModels models, AdminAudit audit, HttpContext http,
        string action, int successStatus, CancellationToken ct)
    {
        var problems = await CheckModelsAsync(command, http.RequestServices.GetRequiredService<ExperimentDirectory>(), ct);
        var actor = await replicator.GetAsync(ct);
        var decision = await actor.Ask<ExperimentDecision>(new ExperimentRequest(command, problems), Timeout, ct);
        if (decision.Accepted is not { } accepted)
        {
            var status = decision.Refusal!.StartsWith("no experiment named", StringComparison.Ordinal) ? StatusCodes.Status404NotFound
                : decision.Refusal.Contains("exists already", StringComparison.Ordinal) || decision.Refusal.Contains("is running", StringComparison.Ordinal) ? StatusCodes.Status409Conflict
                : StatusCodes.Status400BadRequest;
            return Refused(audit, http, action, command.Name, status, decision.Refusal);
        }

        audit.Record(http, action, command.Name, $"{accepted.Status.ToString().ToLowerInvariant()}, revision {accepted.Revision}");
        return Results.Json(Describe(accepted, models), ExperimentJsonContext.Default.ExperimentDto, statusCode: successStatus);
    }

    private static IResult Refused(AdminAudit audit, HttpContext http, string action, string target, int status, string reason)
    {
        audit.Record(http, action, target, $"refused: {reason}");
        return AdminEndpoints.Error(status, reason);
    }

    /// <summary>Whether each model folder the command names can serve, checked off the replicator (reading a folder takes a while).</summary>
    private static Task<IReadOnlyDictionary<string, string?>> CheckModelsAsync(ExperimentCommand command, ExperimentDirectory directory, CancellationToken ct)
    {
        IEnumerable<string?> folders = command switch
        {
            CreateExperiment c => c.Variants.Select(v => v.Model),
            StartExperiment s when directory.All.TryGetValue(s.Name, out var e) => e.Variants.Select(v => v.Model),
            _ => [],
        };
        var distinct = folders.OfType<string>().Distinct(StringComparer.Ordinal).ToArray();
        if (distinct.Length == 0) return Task.FromResult<IReadOnlyDictionary<string, string?>>(ImmutableDictionary<string, string?>.Empty);
        return Task.Run<IReadOnlyDictionary<string, string?>>(() => distinct.ToDictionary(f => f, ModelProblem, StringComparer.Ordinal), ct);
    }

    private static string? ModelProblem(string folder)
    {
        try
        {
            ModelFolder.Load(RepoFiles.Resolve(folder));
            return null;
        }
        catch (Exception e) when (e is InvalidModelException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            return e.Message;
        }
    }

    private static ExperimentCommand? ToCommand(CreateExperimentRequest? r)
    {
        if (r?.Name is null || r.Variants is null || r.Variants.Any(v => v?.Name is null)) return null;
        ExperimentKind? kind = r.Kind switch { null or "ab" => ExperimentKind.AbTest, "interleaving" => ExperimentKind.Interleaving, _ => null };
        if (kind is null) return null;
        return new CreateExperiment(
            r.Name, kind.Value, [.. r.Variants.Select(v => new VariantDefinition(v.Name!, v.Weight ?? 1, string.IsNullOrWhiteSpace(v.Model) ? null : v.Model, v.K))],
            r.Salt, r.StartAt, r.EndAt, r.Description);
    }

    private static string CreateProblem(CreateExperimentRequest? r) =>
        r is null ? "the body must be an experiment: {\"name\", \"kind\": \"ab\"|\"interleaving\", \"variants\": [{\"name\", \"weight\", \"model\", \"k\"}]}"
        : r.Name is null ? "the experiment has no \"name\""
        : r.Variants is null ? "the experiment has no \"variants\""
        : r.Variants.Any(v => v?.Name is null) ? "every variant needs a \"name\""
        : $"unknown \"kind\" \"{Actors.Events.ReasonText.Quote(r.Kind ?? "")}\": expected \"ab\" or \"interleaving\"";

    internal static ExperimentDto Describe(ExperimentDefinition e, ExperimentModels models)
    {
        var shares = e.Kind == ExperimentKind.Interleaving ? [.. e.Variants.Select(_ => 1.0)] : e.Buckets.Shares(e.Variants.Length);
        var now = DateTimeOffset.UtcNow;
        var serving = models.Serving is { } s && s.Name == e.Name && s.Revision == e.Revision;
        return new ExperimentDto(
            e.Name, e.Kind == ExperimentKind.Interleaving ? "interleaving" : "ab", e.Status.ToString().ToLowerInvariant(), e.IsLive(now), e.Salt, e.Description,
            e.StartAt, e.EndAt, e.Revision, e.CreatedAt, e.UpdatedAt,
            [.. e.Variants.Select((v, i) => new ExperimentVariantDto(v.Name, v.Weight, shares[i], v.Model, v.K))],
            serving, e.IsLive(now) && !serving ? models.LastError ?? "loading its models" : null);
    }

    private static ExperimentReportDto ToDto(ExperimentReport report, ExperimentDto experiment, int catalog, bool majority) => new(
        experiment,
        [.. report.Variants.Select(v => new VariantReportDto(
            v.Name, v.Model, v.Share, v.Totals.Impressions, v.Totals.Outcomes, v.Totals.Hits, v.HitRate, new IntervalDto(v.HitRateInterval.Low, v.HitRateInterval.High),
            v.Ndcg, Interval(v.Ndcg, v.NdcgHalfWidth), v.Mrr, Interval(v.Mrr, v.MrrHalfWidth), v.Totals.AttributedPlays, v.PlayThroughRate, v.Novelty,
            v.DistinctItemsServed, v.Coverage, v.MeanLatencyMs, v.Totals.Wins))],
        [.. report.Comparisons.Select(c => new ComparisonDto(c.Variant, c.Control, c.HitRateDifference, c.HitRateP, c.NdcgDifference, c.NdcgP, c.MrrP, c.HitRateP < 0.05))],
        report.Interleaving is { } i ? new InterleavingDto(i.A, i.B, i.WinsA, i.WinsB, i.Undecided, i.P, i.Better) : null,
        report.Warnings,
        "HR@K: pooled two-proportion z-test against the first variant, Wilson 95 % intervals; NDCG@K and MRR: Welch's test, normal 95 % intervals; interleaving: two-sided sign test on the plays credited to each ranker",
        catalog, majority);

    private static IntervalDto? Interval(double mean, double halfWidth) => double.IsNaN(halfWidth) ? null : new IntervalDto(mean - halfWidth, mean + halfWidth);
}
