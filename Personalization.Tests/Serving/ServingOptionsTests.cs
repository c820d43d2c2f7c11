using Personalization.Node.Hosting;
using Xunit;

namespace Personalization.Tests.Serving;

public sealed class ServingOptionsTests
{
    [Theory]
    [InlineData(-1)]
    [InlineData(20)]
    public void A_nice_step_count_outside_0_to_19_is_refused_with_the_setting_named(int nice)
    {
        var options = new NodeOptions { Serving = { IngestNice = nice } };

        Assert.StartsWith("Serving:IngestNice", NodeConfiguration.Validate(options));
    }

    [Fact]
    public void A_negative_ingest_thread_count_is_refused() =>
        Assert.StartsWith("Serving:IngestThreads", NodeConfiguration.Validate(new NodeOptions { Serving = { IngestThreads = -1 } }));

    [Fact]
    public void The_defaults_run_ingest_ten_steps_below_serving_on_one_thread_per_core()
    {
        var options = new NodeOptions();

        Assert.Null(NodeConfiguration.Validate(options));
        Assert.Equal(10, options.Serving.IngestNice);
        Assert.Equal(0, options.Serving.IngestThreads);
    }
}
