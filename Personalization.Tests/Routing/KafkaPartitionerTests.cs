using System.Text;
using Personalization.Actors.Routing;
using Xunit;

namespace Personalization.Tests.Routing;

public class KafkaPartitionerTests
{
    // Reference values from Apache Kafka's own UtilsTest.testMurmur2 (org.apache.kafka.common.utils).
    [Theory]
    [InlineData("21", -973932308)]
    [InlineData("foobar", -790332482)]
    [InlineData("a-little-bit-long-string", -985981536)]
    [InlineData("a-little-bit-longer-string", -1486304829)]
    [InlineData("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971)]
    [InlineData("abc", 479470107)]
    public void Murmur2_matches_the_Java_client(string key, int expected) =>
        Assert.Equal(expected, KafkaPartitioner.Murmur2(Encoding.UTF8.GetBytes(key)));

    [Fact]
    public void Partition_is_stable_and_in_range()
    {
        for (var i = 0; i < 1000; i++)
        {
            var p = KafkaPartitioner.PartitionFor($"user-{i}", 12);
            Assert.InRange(p, 0, 11);
            Assert.Equal(p, KafkaPartitioner.PartitionFor($"user-{i}", 12));
        }
    }
}
