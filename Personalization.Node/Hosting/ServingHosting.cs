using Personalization.Actors.Model;
using Personalization.Actors.Serving;

namespace Personalization.Node.Hosting;

public static class ServingHosting
{
    /// <summary>
    /// The serving lane: user actors publish their views to the <see cref="ServingBoard"/> and recommendation queries
    /// for users that live on this node are answered from it (docs/DESIGN.md, "Serving while ingesting").
    /// </summary>
    public static IServiceCollection AddServingLane(this IServiceCollection services)
    {
        services.AddSingleton<ServingBoard>();
        services.AddSingleton(sp => new ServingLane(sp.GetRequiredService<ServingBoard>(), sp.GetRequiredService<IModelProvider>()));
        return services;
    }
}
