using System.Text.Json.Nodes;
using Personalization.Actors.Model;
using Xunit;

namespace Personalization.Tests.Model;

/// <summary>Altered copies of the real model folder are refused with a message naming the file and the fault.</summary>
public sealed class ModelValidationTests
{
    private static InvalidModelException Refused(TempFolder folder)
    {
        var e = Assert.Throws<InvalidModelException>(() => OnnxSequenceModel.Open(folder.Path).Dispose());
        return e;
    }

    private static void EditManifest(TempFolder folder, Action<JsonObject> edit)
    {
        var manifest = JsonNode.Parse(File.ReadAllText(folder.File("manifest.json")))!.AsObject();
        edit(manifest);
        File.WriteAllText(folder.File("manifest.json"), manifest.ToJsonString());
    }

    private static int ItemCount(TempFolder folder) =>
        JsonNode.Parse(File.ReadAllText(folder.File("manifest.json")))!["item_count"]!.GetValue<int>();

    [Fact]
    public void The_real_folder_is_accepted()
    {
        using var model = OnnxSequenceModel.Open(TestModelFolder.Path);
        Assert.Equal(model.Folder.Manifest.HiddenSize, model.StateSize);
        Assert.Equal(model.Folder.Vocabulary.Count, model.ItemCount);
        Assert.Equal(model.Folder.Manifest.PopularItems.Count, model.Folder.PopularItems.Count);
        Assert.DoesNotContain(0, model.Folder.PopularItems);
    }

    [Fact]
    public void A_folder_path_with_a_trailing_separator_is_accepted()
    {
        var folder = ModelFolder.Load(TestModelFolder.Path + Path.DirectorySeparatorChar);
        Assert.True(File.Exists(folder.StepGraphPath));
    }

    [Fact]
    public void A_missing_step_graph_is_refused()
    {
        using var folder = TestModelFolder.Copy();
        File.Delete(folder.File("step.onnx"));
        Assert.Contains("step.onnx is missing", Refused(folder).Message);
    }

    [Fact]
    public void A_missing_folder_or_manifest_is_refused()
    {
        using var folder = TestModelFolder.Copy();
        File.Delete(folder.File("manifest.json"));
        Assert.Contains("manifest.json is missing", Refused(folder).Message);
        Assert.Contains("does not exist", Assert.Throws<InvalidModelException>(() => ModelFolder.Load(folder.File("nothing-here"))).Message);
    }

    [Fact]
    public void A_hidden_size_that_differs_from_the_graphs_is_refused()
    {
        using var folder = TestModelFolder.Copy();
        EditManifest(folder, m => m["hidden_size"] = 32);
        var message = Refused(folder).Message;
        Assert.Contains("step.onnx", message);
        Assert.Contains("64 columns but manifest.json says hidden_size 32", message);
    }

    [Fact]
    public void Items_txt_with_one_row_too_few_is_refused()
    {
        using var folder = TestModelFolder.Copy();
        var rows = File.ReadAllLines(folder.File("items.txt"));
        File.WriteAllLines(folder.File("items.txt"), rows[..^1]);
        Assert.Contains($"items.txt has {rows.Length - 1} rows but manifest.json says item_count {rows.Length}", Refused(folder).Message);

        // Also with the manifest agreeing: now the score graph disagrees.
        EditManifest(folder, m => m["item_count"] = rows.Length - 1);
        var message = Refused(folder).Message;
        Assert.Contains($"score.onnx", message);
        Assert.Contains($"{rows.Length} columns but items.txt has {rows.Length - 1} rows", message);
    }

    [Fact]
    public void Items_txt_with_one_row_too_many_is_refused()
    {
        using var folder = TestModelFolder.Copy();
        var count = ItemCount(folder);
        File.AppendAllLines(folder.File("items.txt"), ["an-extra-item"]);
        EditManifest(folder, m => m["item_count"] = count + 1);
        var message = Refused(folder).Message;
        Assert.Contains("score.onnx", message);
        Assert.Contains($"{count} columns but items.txt has {count + 1} rows", message);
    }

    [Fact]
    public void Swapped_graphs_have_the_wrong_inputs_and_are_refused()
    {
        using var folder = TestModelFolder.Copy();
        File.Move(folder.File("step.onnx"), folder.File("tmp.onnx"));
        File.Move(folder.File("score.onnx"), folder.File("step.onnx"));
        File.Move(folder.File("tmp.onnx"), folder.File("score.onnx"));
        Assert.Contains("step.onnx has inputs [state] but the model contract requires exactly [item, state]", Refused(folder).Message);
    }

    [Fact]
    public void A_corrupt_graph_file_is_refused()
    {
        using var folder = TestModelFolder.Copy();
        var bytes = File.ReadAllBytes(folder.File("score.onnx"));
        File.WriteAllBytes(folder.File("score.onnx"), bytes[..(bytes.Length / 3)]);
        Assert.Contains("score.onnx cannot be loaded by ONNX Runtime", Refused(folder).Message);

        new Random(3).NextBytes(bytes.AsSpan(0, 4096));
        File.WriteAllBytes(folder.File("score.onnx"), bytes);
        Assert.Contains("score.onnx cannot be loaded by ONNX Runtime", Refused(folder).Message);
    }

    [Fact]
    public void A_manifest_without_a_required_field_is_refused()
    {
        using var folder = TestModelFolder.Copy();
        EditManifest(folder, m => m.Remove("hidden_size"));
        var message = Refused(folder).Message;
        Assert.Contains("manifest.json is not a valid manifest", message);
        Assert.Contains("hidden_size", message);
    }

    [Fact]
    public void A_manifest_of_another_format_or_not_json_is_refused()
    {
        using var folder = TestModelFolder.Copy();
        EditManifest(folder, m => m["format"] = "personalization-model/2");
        Assert.Contains("format \"personalization-model/2\"", Refused(folder).Message);

        File.WriteAllText(folder.File("manifest.json"), "{ not json");
        Assert.Contains("manifest.json is not a valid manifest", Refused(folder).Message);
    }

    [Fact]
    public void An_unknown_popular_item_is_refused()
    {
        using var folder = TestModelFolder.Copy();
        EditManifest(folder, m => m["popular_items"]!.AsArray().Add("no-such-item"));
        Assert.Contains("popular_items[", Refused(folder).Message);
        Assert.Contains("\"no-such-item\" is not in items.txt", Refused(folder).Message);
    }

    [Fact]
    public void A_graph_path_outside_the_folder_is_refused()
    {
        using var folder = TestModelFolder.Copy();
        EditManifest(folder, m => m["graphs"]!["step"] = "../step.onnx");
        Assert.Contains("outside the model folder", Refused(folder).Message);
    }
}
