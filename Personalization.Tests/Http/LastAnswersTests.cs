using Personalization.Actors.Sessions;
using Personalization.Node.Http;
using Xunit;

namespace Personalization.Tests.Http;

public sealed class LastAnswersTests
{
    private static Recommendations Answer(string user, string item) => new(user, [new RecommendedItem(item, 1f)], "m", "v", 3, false);

    [Fact]
    public void The_last_answer_of_a_user_is_kept_with_when_it_was_served()
    {
        var answers = new LastAnswers();
        answers.Remember(Answer("u1", "a"), 1000);
        answers.Remember(Answer("u1", "b"), 2000);

        Assert.True(answers.TryGet("u1", out var last, out var servedAt));
        Assert.Equal(("b", 2000L), (last!.Items[0].ItemId, servedAt));
    }

    [Fact]
    public void A_user_never_served_here_has_none()
    {
        Assert.False(new LastAnswers().TryGet("u1", out _, out _));
    }

    [Fact]
    public void The_table_stays_bounded_and_never_answers_for_another_user()
    {
        var answers = new LastAnswers(capacity: 4);
        for (var i = 0; i < 1000; i++) answers.Remember(Answer($"u{i}", $"i{i}"), i);

        var kept = Enumerable.Range(0, 1000).Count(i => answers.TryGet($"u{i}", out var a, out _) && a!.Items[0].ItemId == $"i{i}");
        Assert.InRange(kept, 1, 4);
        Assert.All(Enumerable.Range(0, 1000), i =>
        {
            if (answers.TryGet($"u{i}", out var a, out _)) Assert.Equal($"u{i}", a!.UserId);
        });
    }
}
