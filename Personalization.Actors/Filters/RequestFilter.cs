namespace Personalization.Actors.Filters;

/// <summary>
/// What one recommendation request asks to leave out (<see cref="Excludes"/>: an item matching any term goes) and to
/// keep only (<see cref="Includes"/>: terms of one attribute are alternatives, terms of different attributes must all
/// hold), checked and parsed by <see cref="RequestFilterSyntax"/>.
/// </summary>
public sealed class RequestFilter(IReadOnlyList<FilterTerm> excludes, IReadOnlyList<FilterTerm> includes)
{
    public static RequestFilter None { get; } = new([], []);

    public IReadOnlyList<FilterTerm> Excludes { get; } = excludes;

    public IReadOnlyList<FilterTerm> Includes { get; } = includes;

    public bool IsEmpty => Excludes.Count == 0 && Includes.Count == 0;
}
