using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Personalization.Actors.Model;

/// <summary>
/// Checks a graph's declared inputs and outputs against the model contract: exact names, element types, ranks and
/// the fixed dimensions (dimension 0 is the batch and must be dynamic).
/// </summary>
internal static class GraphContract
{
    /// <summary>One tensor of the contract; <paramref name="Columns"/> is dimension 1 of a rank-2 tensor and
    /// <paramref name="ColumnsExpectation"/> says where that number comes from.</summary>
    internal sealed record Tensor(string Name, TensorElementType Type, int Rank, int Columns = 0, string ColumnsExpectation = "");

    public static void Check(string file, InferenceSession session, Tensor[] inputs, Tensor[] outputs)
    {
        CheckSide(file, "inputs", session.InputMetadata, inputs);
        CheckSide(file, "outputs", session.OutputMetadata, outputs);
    }

    private static void CheckSide(string file, string side, IReadOnlyDictionary<string, NodeMetadata> actual, Tensor[] expected)
    {
        var actualNames = actual.Keys.Order(StringComparer.Ordinal).ToArray();
        var expectedNames = expected.Select(t => t.Name).Order(StringComparer.Ordinal).ToArray();
        if (!actualNames.SequenceEqual(expectedNames, StringComparer.Ordinal))
            throw new InvalidModelException(
                $"{file} has {side} [{string.Join(", ", actualNames)}] but the model contract requires exactly [{string.Join(", ", expectedNames)}]");

        foreach (var tensor in expected)
        {
            var meta = actual[tensor.Name];
            var what = $"{file} {side[..^1]} '{tensor.Name}'";
            if (!meta.IsTensor) throw new InvalidModelException($"{what} is a {meta.OnnxValueType}, not a tensor");
            if (meta.ElementDataType != tensor.Type)
                throw new InvalidModelException($"{what} has element type {meta.ElementDataType} but the contract requires {tensor.Type}");
            var dims = meta.Dimensions;
            if (dims.Length != tensor.Rank)
                throw new InvalidModelException($"{what} has rank {dims.Length} but the contract requires rank {tensor.Rank}");
            if (dims[0] > 0)
                throw new InvalidModelException($"{what} has a fixed batch dimension {dims[0]}; the contract requires a dynamic batch (B)");
            // A symbolic column count is allowed here; the test run checks the actual shape.
            if (tensor.Rank == 2 && dims[1] > 0 && dims[1] != tensor.Columns)
                throw new InvalidModelException($"{what} has {dims[1]} columns but {tensor.ColumnsExpectation}");
        }
    }
}
