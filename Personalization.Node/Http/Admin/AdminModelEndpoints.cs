using Personalization.Actors.Model;
using Personalization.Node.Hosting;

namespace Personalization.Node.Http.Admin;

/// <summary>
/// <c>model show | load</c>. A load validates the whole folder (manifest, files, graphs, a test run) before the
/// swap; a bad folder answers 422 with the reason and the current model keeps serving (docs/DESIGN.md, invariant 5).
/// The swap affects this node only: the console addresses every node that should change.
/// </summary>
internal static class AdminModelEndpoints
{
    public static void MapAdminModelEndpoints(this IEndpointRouteBuilder admin, AdminAudit audit)
    {
        admin.MapGet("/model", (ModelLoader loader) => Results.Json(Describe(loader), AdminJsonContext.Default.ModelStatusDto));

        admin.MapPost("/model/load", async (ModelLoadRequest? request, ModelLoader loader, HttpContext http, CancellationToken ct) =>
        {
            if (string.IsNullOrWhiteSpace(request?.Path))
            {
                audit.Record(http, "model load", "", "refused: no path");
                return AdminEndpoints.Error(StatusCodes.Status400BadRequest, "the body must be {\"path\": \"<model folder on the node>\"}");
            }

            try
            {
                await loader.LoadAsync(request.Path, ct);
            }
            catch (InvalidModelException e)
            {
                var current = loader.Registry.Current;
                audit.Record(http, "model load", request.Path, $"refused: {e.Message}");
                return AdminEndpoints.Error(StatusCodes.Status422UnprocessableEntity,
                    $"model folder refused: {e.Message}; still serving {current.Name} {current.Version}");
            }

            var loaded = loader.Registry.Current;
            audit.Record(http, "model load", request.Path, $"loaded {loaded.Name} {loaded.Version}");
            return Results.Json(Describe(loader), AdminJsonContext.Default.ModelStatusDto);
        });
    }

    private static ModelStatusDto Describe(ModelLoader loader)
    {
        var registry = loader.Registry;
        var last = loader.Last ?? throw new InvalidOperationException("no model has been loaded");
        var shares = registry.VariantShares;
        var variants = registry.Variants
            .Select(v => new VariantDto(
                v.Name,
                v.Weight,
                shares[v.Index],
                v.OwnRuntime is null ? null : Info(v.OwnRuntime)))
            .ToArray();
        return new ModelStatusDto(Info(registry.Current), last.Path, last.LoadedAt, last.Loads, variants);
    }

    private static ModelInfoDto Info(IModelRuntime model) =>
        new(model.Name, model.Version, model.StateSize, model.Vocabulary.Count - 1);
}
