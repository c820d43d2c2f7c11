using System.Diagnostics;
using System.Text;
using CsCheck;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Personalization.Tests.Infrastructure;

/// <summary>
/// Runs a property over inputs drawn from a CsCheck generator with a fixed seed, one thread, so every run sees the
/// same inputs and a failure names the input that broke it (CsCheck's own <c>Sample</c> seeds only its first
/// iteration and draws the rest at random on all cores). <c>PERSONALIZATION_FUZZ_ITERATIONS</c> runs more.
/// </summary>
public static class Fuzz
{
    public const string IterationsVariable = "PERSONALIZATION_FUZZ_ITERATIONS";

    /// <summary>What the variable counts: the inputs of the decoder tests, which run 100,000 in the suite.</summary>
    public const long ReferenceInSuite = 100_000;

    /// <summary>
    /// <paramref name="inSuite"/>, or, when <see cref="IterationsVariable"/> is set (a longer run on demand), that count
    /// scaled by <paramref name="inSuite"/> / <see cref="ReferenceInSuite"/>: 10,000,000 gives each decoder 10 M inputs
    /// and the HTTP test (3,000 in the suite) 300,000 requests.
    /// </summary>
    public static long Iterations(long inSuite) =>
        long.TryParse(Environment.GetEnvironmentVariable(IterationsVariable), out var n) && n > 0
            ? Math.Max(1, (long)((double)n * inSuite / ReferenceInSuite))
            : inSuite;

    public static void Run<T>(Gen<T> gen, Action<T> property, long iterations, ulong seed, Func<T, string> describe, ITestOutputHelper? output = null, string name = "")
    {
        var pcg = new PCG(1, seed);
        var watch = Stopwatch.StartNew();
        for (var i = 0L; i < iterations; i++)
        {
            var input = gen.Generate(pcg, null, out _);
            try
            {
                property(input);
            }
            catch (Exception e)
            {
                throw new XunitException($"input #{i} of seed {seed} falsifies the property: {describe(input)}{Environment.NewLine}{e}");
            }
        }

        output?.WriteLine($"{name}: {iterations:N0} inputs in {watch.Elapsed.TotalSeconds:0.00} s");
    }

    /// <summary>Bytes as an escaped string (printable ASCII as is, the rest \xHH), at most 300 of them.</summary>
    public static string Describe(byte[]? bytes)
    {
        if (bytes is null) return "null";
        var text = new StringBuilder($"{bytes.Length} bytes: \"");
        foreach (var b in bytes.AsSpan(0, Math.Min(bytes.Length, 300)))
            text.Append(b is >= 0x20 and < 0x7F and not (byte)'\\' ? ((char)b).ToString() : $"\\x{b:X2}");
        return text.Append(bytes.Length > 300 ? "\"…" : "\"").ToString();
    }
}
