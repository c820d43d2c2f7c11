namespace Personalization.Actors.Quality;

/// <summary>How <see cref="RateDropDetector"/> decides. Rates are per second, one observation per sample interval.</summary>
public sealed record RateDropSettings
{
    /// <summary>A rate below this fraction of the baseline is a drop (0.2: a fall of more than 80 %).</summary>
    public double DropRatio { get; init; } = 0.2;

    /// <summary>A dropped partition recovers at a rate of at least this fraction of the baseline it dropped from.</summary>
    public double RecoverRatio { get; init; } = 0.5;

    /// <summary>A baseline below this (records/s) is never judged: quiet partitions come and go.</summary>
    public double MinBaselinePerSecond { get; init; } = 1;

    /// <summary>Observations before the baseline is trusted (a new owner of a partition, a restart).</summary>
    public int WarmupSamples { get; init; } = 6;

    /// <summary>Weight of each new observation in the baseline (an exponentially weighted mean).</summary>
    public double BaselineWeight { get; init; } = 0.1;

    /// <summary>A drop that lasts this many observations becomes the new normal: the baseline restarts from it.</summary>
    public int AcceptAfterSamples { get; init; } = 60;

    /// <summary>A sentence naming the first value out of range (prefixed by <paramref name="prefix"/>), or null.</summary>
    public string? Problem(string prefix = "")
    {
        if (!(DropRatio > 0 && DropRatio < 1)) return $"{prefix}RateDropRatio must be between 0 and 1 (is {DropRatio})";
        if (!(RecoverRatio > DropRatio && RecoverRatio <= 1)) return $"{prefix}RateRecoverRatio must be above RateDropRatio ({DropRatio}) and at most 1 (is {RecoverRatio})";
        if (!(MinBaselinePerSecond >= 0) || double.IsInfinity(MinBaselinePerSecond)) return $"{prefix}RateDropMinPerSecond must be a non-negative number (is {MinBaselinePerSecond})";
        if (WarmupSamples < 1) return $"{prefix}RateDropWarmupSamples must be at least 1 (is {WarmupSamples})";
        if (!(BaselineWeight > 0 && BaselineWeight <= 1)) return $"{prefix}RateBaselineWeight must be in (0, 1] (is {BaselineWeight})";
        if (AcceptAfterSamples < 1) return $"{prefix}RateDropAcceptAfterSamples must be at least 1 (is {AcceptAfterSamples})";
        return null;
    }
}

/// <summary>What one observation changed.</summary>
public enum RateDropChange
{
    None,

    /// <summary>The rate fell below <see cref="RateDropSettings.DropRatio"/> × baseline: the drop starts.</summary>
    Dropped,

    /// <summary>The rate is back to at least <see cref="RateDropSettings.RecoverRatio"/> × the baseline it dropped from.</summary>
    Recovered,

    /// <summary>The drop lasted <see cref="RateDropSettings.AcceptAfterSamples"/> observations: its rate is the new baseline.</summary>
    Accepted,
}

/// <summary>
/// Tells when a partition's rate drops suddenly. Pure: one observation in, one <see cref="RateDropChange"/> out. The
/// baseline is an exponentially weighted mean of the rates seen while not dropped; after
/// <see cref="RateDropSettings.WarmupSamples"/> observations, a rate below <see cref="RateDropSettings.DropRatio"/> of
/// a baseline of at least <see cref="RateDropSettings.MinBaselinePerSecond"/> starts a drop. The baseline is frozen
/// while dropped, so a slow fall is judged against the rate before it. Properties (<c>RateDropDetectorTests</c>): a
/// steady rate never drops; rates within a band narrower than the ratio never drop; a fall below the ratio of every
/// earlier rate after the warm-up drops at once; quiet partitions never drop; drops and recoveries alternate.
/// </summary>
public sealed class RateDropDetector(RateDropSettings settings)
{
    private int _droppedFor;

    public RateDropSettings Settings { get; } = settings.Problem() is { } problem ? throw new ArgumentException(problem, nameof(settings)) : settings;

    /// <summary>The rate this partition is judged against (records/s); 0 before the first observation.</summary>
    public double Baseline { get; private set; }

    /// <summary>Observations taken into the baseline since the start (or the last accepted drop).</summary>
    public int Samples { get; private set; }

    public bool Dropped { get; private set; }

    /// <summary>One rate (records/s, finite, non-negative) for the sample interval that just ended.</summary>
    public RateDropChange Observe(double ratePerSecond)
    {
        if (!(ratePerSecond >= 0) || double.IsInfinity(ratePerSecond))
            throw new ArgumentOutOfRangeException(nameof(ratePerSecond), ratePerSecond, "a rate is a finite, non-negative number");

        if (Dropped)
        {
            if (ratePerSecond >= Settings.RecoverRatio * Baseline)
            {
                Dropped = false;
                _droppedFor = 0;
                Learn(ratePerSecond);
                return RateDropChange.Recovered;
            }

            if (++_droppedFor < Settings.AcceptAfterSamples) return RateDropChange.None;
            Dropped = false;
            _droppedFor = 0;
            Samples = 0;
            Learn(ratePerSecond);
            return RateDropChange.Accepted;
        }

        if (Samples >= Settings.WarmupSamples && Baseline >= Settings.MinBaselinePerSecond && ratePerSecond < Settings.DropRatio * Baseline)
        {
            Dropped = true;
            _droppedFor = 1;
            return RateDropChange.Dropped;
        }

        Learn(ratePerSecond);
        return RateDropChange.None;
    }

    private void Learn(double rate)
    {
        Baseline = Samples == 0 ? rate : Baseline + Settings.BaselineWeight * (rate - Baseline);
        Samples++;
    }
}
