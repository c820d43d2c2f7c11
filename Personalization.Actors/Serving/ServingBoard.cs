using System.Collections.Concurrent;

namespace Personalization.Actors.Serving;

/// <summary>
/// The node's latest <see cref="ServingView"/> of every user whose actor lives here. User actors publish (one reference
/// write per applied batch, in place: no allocation by the dictionary for a known user) and withdraw their view when
/// they stop; queries read it on the serving threads, never waiting for an actor that is busy ingesting
/// (docs/DESIGN.md, "Serving while ingesting").
/// </summary>
public sealed class ServingBoard
{
    private readonly ConcurrentDictionary<string, ServingView> _views = new(StringComparer.Ordinal);

    public int Count => _views.Count;

    public void Publish(ServingView view) => _views[view.UserId] = view;

    /// <summary>Removes <paramref name="view"/> if it is still the user's latest (a newer incarnation's view stays).</summary>
    public void Withdraw(ServingView view) => _views.TryRemove(new KeyValuePair<string, ServingView>(view.UserId, view));

    public bool TryGet(string userId, out ServingView view) => _views.TryGetValue(userId, out view!);
}
