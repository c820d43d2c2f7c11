using Personalization.Actors.Experiments;

namespace Personalization.Node.Demo;

/// <summary>One answer as the replaying client saw it: its A/B variant and whether the next play was in it, or for interleaving the variant credited (null: neither).</summary>
public readonly record struct ObservedAnswer(string Variant, bool Hit, string? Credited);

/// <summary>
/// How many answers an experiment needed before its test stayed significant: the p-value after every answer, in the
/// order they were served (A/B: two-proportion z-test of the first two variants' hit rates; interleaving: the sign
/// test of the plays credited to each ranker), and the first count from which it stays below the level.
/// </summary>
public static class SignificanceCurve
{
    public static double[] PValues(IReadOnlyList<ObservedAnswer> answers, bool interleaving)
    {
        var p = new double[answers.Count];
        var variants = answers.Select(a => a.Variant).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        long n0 = 0, h0 = 0, n1 = 0, h1 = 0, winsA = 0, winsB = 0;
        string? a = null;
        for (var i = 0; i < answers.Count; i++)
        {
            var answer = answers[i];
            if (interleaving)
            {
                if (answer.Credited is { } credited)
                {
                    a ??= credited;
                    if (credited == a) winsA++;
                    else winsB++;
                }

                p[i] = Statistics.SignTestP(winsA, winsB);
            }
            else
            {
                if (answer.Variant == variants[0]) { n0++; if (answer.Hit) h0++; }
                else { n1++; if (answer.Hit) h1++; }
                p[i] = Statistics.TwoProportionP(h0, n0, h1, n1);
            }
        }

        return p;
    }

    /// <summary>
    /// The smallest number of answers at which the test detects the difference (p below <paramref name="level"/>) with
    /// probability <paramref name="power"/>, estimated by drawing that many answers with replacement from
    /// <paramref name="answers"/> (<paramref name="draws"/> times, a fixed seed); null if even all of them do not reach it.
    /// Less noisy than one ordering's trajectory: a replay's order is the scheduler's.
    /// </summary>
    public static int? AnswersForPower(IReadOnlyList<ObservedAnswer> answers, bool interleaving, double power = 0.8, double level = 0.05, int draws = 200, int seed = 2026)
    {
        if (answers.Count == 0) return null;
        // A canonical order, so the estimate depends on the answers, not on the order parallel users happened to finish in.
        answers = [.. answers.OrderBy(a => a.Variant, StringComparer.Ordinal).ThenBy(a => a.Hit).ThenBy(a => a.Credited, StringComparer.Ordinal)];
        var random = new Random(seed);
        var sample = new ObservedAnswer[answers.Count];
        bool Detects(int m)
        {
            var detected = 0;
            for (var d = 0; d < draws; d++)
            {
                for (var i = 0; i < m; i++) sample[i] = answers[random.Next(answers.Count)];
                if (PValues(new ArraySegment<ObservedAnswer>(sample, 0, m), interleaving)[^1] < level) detected++;
            }

            return detected >= power * draws;
        }

        if (!Detects(answers.Count)) return null;
        int low = 1, high = answers.Count;
        while (low < high)
        {
            var mid = (low + high) / 2;
            if (Detects(mid)) high = mid;
            else low = mid + 1;
        }

        return low;
    }

    /// <summary>Answers after which p stays below <paramref name="level"/> to the end; null if it never does.</summary>
    public static int? AnswersToSignificance(double[] pValues, double level = 0.05)
    {
        if (pValues.Length == 0 || pValues[^1] >= level) return null;
        var i = pValues.Length - 1;
        while (i > 0 && pValues[i - 1] < level) i--;
        return i + 1;
    }
}
