using Personalization.Node.Demo;
using Xunit;

namespace Personalization.Tests.Experiments;

public sealed class SignificanceCurveTests
{
    [Fact]
    public void The_answers_needed_are_counted_from_where_p_stays_below_the_level_to_the_end()
    {
        Assert.Equal(3, SignificanceCurve.AnswersToSignificance([0.5, 0.2, 0.04, 0.03, 0.01]));
        Assert.Equal(5, SignificanceCurve.AnswersToSignificance([0.5, 0.04, 0.2, 0.06, 0.01]));
        Assert.Null(SignificanceCurve.AnswersToSignificance([0.01, 0.2]));
        Assert.Null(SignificanceCurve.AnswersToSignificance([]));
    }

    [Fact]
    public void Interleaving_p_values_follow_the_sign_test_of_credited_plays()
    {
        var answers = Enumerable.Repeat(new ObservedAnswer("a+b", true, "a"), 8).Append(new ObservedAnswer("a+b", true, "b")).Append(new ObservedAnswer("a+b", true, "b")).ToList();

        Assert.Equal(0.109375, SignificanceCurve.PValues(answers, interleaving: true)[^1], 6);
    }
}
