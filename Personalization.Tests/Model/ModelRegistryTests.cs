using Personalization.Actors.Model;
using Xunit;

namespace Personalization.Tests.Model;

public sealed class ModelRegistryTests
{
    [Fact]
    public async Task A_bad_folder_is_refused_and_the_previous_model_keeps_serving()
    {
        await using var registry = new ModelRegistry();
        var changes = new List<ModelChange>();
        registry.Changed += changes.Add;
        var good = registry.Load(TestModelFolder.Path);

        using var bad = TestModelFolder.Copy();
        File.Delete(bad.File("step.onnx"));
        Assert.Throws<InvalidModelException>(() => registry.Load(bad.Path));

        Assert.Same(good, registry.Current);
        Assert.Single(changes);
        var state = await registry.Current.StepAsync(new float[good.StateSize], [1]);
        Assert.Equal(good.StateSize, state.Length);
    }

    [Fact]
    public async Task A_swap_retires_the_previous_model_after_its_accepted_requests()
    {
        await using var registry = new ModelRegistry();
        var first = registry.Load(TestModelFolder.Path);
        var state = new float[first.StateSize];
        var accepted = first.StepAsync(state, Enumerable.Range(1, 50).ToArray());
        var changes = new List<ModelChange>();
        registry.Changed += changes.Add;

        var second = registry.Load(TestModelFolder.Path);

        Assert.Same(second, registry.Current);
        Assert.Equal(new ModelChange(null, first, second), Assert.Single(changes));
        Assert.Equal(first.StateSize, (await accepted).Length); // accepted before the swap: completed
        await registry.RetiredDisposed();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => first.StepAsync(state, [1]));
        Assert.Equal(second.StateSize, (await second.StepAsync(state, [1])).Length);
    }

    [Fact]
    public void Current_before_any_load_says_so()
    {
        var registry = new ModelRegistry(_ => throw new InvalidOperationException("not used"));
        Assert.False(registry.HasModel);
        Assert.Contains("no model", Assert.Throws<InvalidOperationException>(() => registry.Current).Message);
    }

    [Fact]
    public void Buckets_are_stable_across_processes_and_independent_of_the_salt()
    {
        // Pinned values: murmur2 is Kafka's (checked against its reference vectors), so these never change.
        Assert.Equal(VariantAssignment.BucketOf("user-1", "ab"), VariantAssignment.BucketOf("user-1", "ab"));
        Assert.Equal(ExpectedBucket("user-1", "ab"), VariantAssignment.BucketOf("user-1", "ab"));
        Assert.Equal(ExpectedBucket("Ünïcödé-user", "exp-7"), VariantAssignment.BucketOf("Ünïcödé-user", "exp-7"));
        var moved = Enumerable.Range(0, 1000).Count(i => VariantAssignment.BucketOf($"u{i}", "a") != VariantAssignment.BucketOf($"u{i}", "b"));
        Assert.True(moved > 990, $"only {moved} of 1000 users changed bucket with a new salt");
    }

    private static int ExpectedBucket(string user, string salt) =>
        (int)((Personalization.Actors.Routing.KafkaPartitioner.Murmur2(System.Text.Encoding.UTF8.GetBytes($"{salt}:{user}")) & 0x7fffffff) % 10_000);

    [Fact]
    public async Task Variants_split_users_by_weight_stably()
    {
        await using var registry = new ModelRegistry(path => new FakeRuntime(path));
        var control = registry.Load("control");
        registry.SetVariants([new VariantSpec("control", 90), new VariantSpec("candidate", 10, "candidate")], salt: "exp-1");

        var users = Enumerable.Range(0, 50_000).Select(i => $"user-{i}").ToArray();
        var assigned = users.Select(registry.ForUser).ToArray();
        var candidateShare = assigned.Count(r => r.Name == "candidate") / (double)users.Length;
        Assert.InRange(candidateShare, 0.09, 0.11);
        Assert.All(assigned.Where(r => r.Name != "candidate"), r => Assert.Same(control, r));
        Assert.Equal(assigned, users.Select(registry.ForUser)); // stable
        Assert.Equal("candidate", registry.VariantFor(users.First(u => registry.ForUser(u).Name == "candidate"))!.Name);

        // The control variant follows the current model through a swap; assignments do not move.
        var newControl = registry.Load("control-2");
        Assert.All(users.Where((u, i) => assigned[i].Name != "candidate").Take(100), u => Assert.Same(newControl, registry.ForUser(u)));

        registry.ClearVariants();
        Assert.All(users.Take(100), u => Assert.Same(newControl, registry.ForUser(u)));
        Assert.Empty(registry.Variants);
    }

    [Fact]
    public async Task Three_way_split_is_roughly_proportional()
    {
        await using var registry = new ModelRegistry(path => new FakeRuntime(path));
        registry.SetVariants([new VariantSpec("a", 1, "a"), new VariantSpec("b", 1, "b"), new VariantSpec("c", 2, "c")]);
        var counts = Enumerable.Range(0, 40_000).GroupBy(i => registry.ForUser($"listener-{i}").Name).ToDictionary(g => g.Key, g => g.Count());
        Assert.InRange(counts["a"], 9_400, 10_600);
        Assert.InRange(counts["b"], 9_400, 10_600);
        Assert.InRange(counts["c"], 19_000, 21_000);
    }

    [Fact]
    public async Task A_bad_variant_refuses_the_whole_set_and_disposes_what_it_opened()
    {
        var opened = new List<FakeRuntime>();
        await using var registry = new ModelRegistry(path => path == "bad"
            ? throw new InvalidModelException("bad is bad")
            : opened.AddAndReturn(new FakeRuntime(path)));
        registry.SetVariants([new VariantSpec("x", 1, "x")]);
        var before = registry.Variants;

        Assert.Throws<InvalidModelException>(() => registry.SetVariants([new VariantSpec("y", 1, "y"), new VariantSpec("z", 1, "bad")]));

        Assert.Same(before, registry.Variants);
        await registry.RetiredDisposed();
        Assert.True(opened.Single(r => r.Name == "y").Disposed);
        Assert.False(opened.Single(r => r.Name == "x").Disposed);
    }

    [Fact]
    public async Task Real_models_as_variants_serve_their_users()
    {
        await using var registry = new ModelRegistry();
        registry.Load(TestModelFolder.Path);
        registry.SetVariants([new VariantSpec("control", 50), new VariantSpec("candidate", 50, TestModelFolder.Path)]);
        var candidate = registry.Variants.Single(v => v.Name == "candidate").OwnRuntime!;
        var user = Enumerable.Range(0, 100).Select(i => $"u{i}").First(u => registry.VariantFor(u)!.Name == "candidate");
        Assert.Same(candidate, registry.ForUser(user));
        Assert.Equal(10, (await registry.ForUser(user).TopKAsync(new float[candidate.StateSize], 10, [])).Length);
    }

    [Fact]
    public async Task Companions_are_kept_by_the_users_in_their_range_under_their_salt_without_allocating()
    {
        await using var registry = new ModelRegistry(path => new FakeRuntime(path));
        registry.Load("current");
        Assert.Empty(registry.CompanionsFor("anyone"));
        registry.SetCompanions([new CompanionSpec("shadow", "shadow", 0, 0.1), new CompanionSpec("interleaving", "inter", 0.5, 1, Salt: "exp-3")]);
        var shadow = registry.Companions.Single(c => c.Name == "shadow").Runtime;
        var inter = registry.Companions.Single(c => c.Name == "interleaving").Runtime;

        var users = Enumerable.Range(0, 40_000).Select(i => $"listener-{i}").ToArray();
        var lists = users.Select(registry.CompanionsFor).ToArray();
        Assert.InRange(lists.Count(l => l.Contains(shadow)) / (double)users.Length, 0.09, 0.11);
        Assert.InRange(lists.Count(l => l.Contains(inter)) / (double)users.Length, 0.48, 0.52);
        Assert.All(users.Zip(lists), u => Assert.Equal(VariantAssignment.BucketOf(u.First, "shadow") < 1_000, u.Second.Contains(shadow)));
        Assert.All(users.Zip(lists), u => Assert.Equal(VariantAssignment.BucketOf(u.First, "exp-3") >= 5_000, u.Second.Contains(inter)));
        var both = lists.First(l => l.Count == 2);
        Assert.Equal(new[] { shadow, inter }, both); // in the order they were set
        Assert.All(lists.Where(l => l.Count == 2), l => Assert.Same(both, l)); // one list per subset, built once
        Assert.Same(Array.Empty<IModelRuntime>(), lists.First(l => l.Count == 0));

        var before = GC.GetAllocatedBytesForCurrentThread();
        foreach (var user in users) registry.CompanionsFor(user);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);

        registry.Load("current-2"); // a swap of the serving model keeps the companions
        Assert.Same(shadow, registry.Companions.Single(c => c.Name == "shadow").Runtime);
        registry.ClearCompanions();
        Assert.Empty(registry.Companions);
        Assert.All(users.Take(100), u => Assert.Empty(registry.CompanionsFor(u)));
        await registry.RetiredDisposed();
        Assert.True(((FakeRuntime)shadow).Disposed);
    }

    [Fact]
    public async Task A_bad_companion_refuses_the_whole_set_and_disposes_what_it_opened()
    {
        var opened = new List<FakeRuntime>();
        await using var registry = new ModelRegistry(path => path == "bad"
            ? throw new InvalidModelException("bad is bad")
            : opened.AddAndReturn(new FakeRuntime(path)));
        registry.SetCompanions([new CompanionSpec("x", "x")]);
        var before = registry.Companions;

        Assert.Throws<InvalidModelException>(() => registry.SetCompanions([new CompanionSpec("y", "y"), new CompanionSpec("z", "bad")]));

        Assert.Same(before, registry.Companions);
        await registry.RetiredDisposed();
        Assert.True(opened.Single(r => r.Name == "y").Disposed);
        Assert.False(opened.Single(r => r.Name == "x").Disposed);
    }

    [Theory]
    [InlineData("a,a", 0, 1, "companion names must be unique")]
    [InlineData("a", 0.5, 0.5, "companion a: the users' range [0.5, 0.5) must lie in [0, 1] and not be empty")]
    [InlineData("a", -0.1, 1, "must lie in [0, 1]")]
    [InlineData("a", 0, 1.5, "must lie in [0, 1]")]
    [InlineData("a,b,c,d,e,f,g,h,i", 0, 1, "at most 8 companions, got 9")]
    [InlineData("a,b:a", 0, 1, "two companions are model a@1: a session keeps one state per model name and version")]
    public async Task Companion_definitions_that_cannot_work_are_refused_with_a_reason_and_change_nothing(string names, double from, double to, string reason)
    {
        await using var registry = new ModelRegistry(path => new FakeRuntime(path));
        // "b:a" is companion b of folder a (FakeRuntime is named after its folder, version 1).
        var specs = names.Split(',').Select(n => n.Split(':')).Select(n => new CompanionSpec(n[0], n.Length > 1 ? n[1] : n[0], from, to)).ToArray();

        var refusal = Assert.Throws<ArgumentException>(() => registry.SetCompanions(specs));

        Assert.Contains(reason, refusal.Message);
        Assert.Empty(registry.Companions);
    }

    private sealed class FakeRuntime(string name) : IModelRuntime, IDisposable
    {
        public string Name => name;
        public string Version => "1";
        public int StateSize => 1;
        public ItemVocabulary Vocabulary { get; } = new(["<pad>", "a"]);
        public IReadOnlyList<int> PopularItems => [1];
        public bool Disposed { get; private set; }
        public Task<float[]> StepAsync(float[] state, int[] items, CancellationToken cancellationToken = default) => Task.FromResult(state);
        public Task<ScoredItem[]> TopKAsync(float[] state, int k, IReadOnlyCollection<int> exclude, CancellationToken cancellationToken = default) => Task.FromResult(Array.Empty<ScoredItem>());
        public void Dispose() => Disposed = true;
    }
}

internal static class ListExtensions
{
    public static T AddAndReturn<T>(this List<T> list, T item)
    {
        list.Add(item);
        return item;
    }
}
