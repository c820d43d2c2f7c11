namespace Personalization.Actors.Model;

/// <summary>
/// The companions of <see cref="ModelRegistry"/>, immutable (replaced whole), answering
/// <see cref="IModelProvider.CompanionsFor"/> without allocating: the list for every subset of companions is built once
/// (at most <see cref="MaxCompanions"/>, so at most 256 lists), and a user's subset is found by one bucket per distinct
/// salt. An empty table answers at once, without hashing.
/// </summary>
internal sealed class CompanionTable
{
    public const int MaxCompanions = 8;

    public static readonly CompanionTable Empty = new([]);

    private readonly string[] _salts;
    private readonly int[] _saltOf;
    private readonly IModelRuntime[][] _subsets;

    public CompanionTable(ModelCompanion[] companions)
    {
        if (companions.Length > MaxCompanions) throw new ArgumentException($"at most {MaxCompanions} companions", nameof(companions));
        Companions = companions;
        _salts = companions.Select(c => c.Salt).Distinct(StringComparer.Ordinal).ToArray();
        _saltOf = companions.Select(c => Array.IndexOf(_salts, c.Salt)).ToArray();
        _subsets = new IModelRuntime[1 << companions.Length][];
        for (var mask = 0; mask < _subsets.Length; mask++)
            _subsets[mask] = mask == 0 ? Array.Empty<IModelRuntime>() : companions.Where((_, i) => (mask & (1 << i)) != 0).Select(c => c.Runtime).ToArray();
    }

    public ModelCompanion[] Companions { get; }

    public IReadOnlyList<IModelRuntime> For(string userId)
    {
        if (Companions.Length == 0) return Array.Empty<IModelRuntime>();
        Span<int> buckets = stackalloc int[MaxCompanions];
        for (var s = 0; s < _salts.Length; s++) buckets[s] = VariantAssignment.BucketOf(userId, _salts[s]);
        var mask = 0;
        for (var i = 0; i < Companions.Length; i++)
        {
            if (Companions[i].Includes(buckets[_saltOf[i]])) mask |= 1 << i;
        }

        return _subsets[mask];
    }
}
