using System.Diagnostics;

namespace Personalization.Tests.Faults;

/// <summary>
/// A small tmpfs mounted on a temp folder (we run as root), to fill up: the disk under a checkpoint database.
/// Unmounted (lazily, so a file still open cannot keep it) and removed on dispose.
/// </summary>
public sealed class SmallDisk : IAsyncDisposable
{
    private SmallDisk(string path) => Path = path;

    public string Path { get; }

    /// <summary>Why a tmpfs cannot be mounted here (not root, no permission in the container), or null if it can.</summary>
    public static string? WhyNotMountable { get; } = Probe();

    public static async Task<SmallDisk> MountAsync(int megabytes)
    {
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "pz-disk-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(path);
        var (code, output) = await RunAsync("mount", $"-t tmpfs -o size={megabytes}m tmpfs {path}");
        if (code != 0) throw new InvalidOperationException($"mount of a {megabytes} MB tmpfs failed: {output}");
        return new SmallDisk(path);
    }

    /// <summary>Writes a filler file until the disk refuses (ENOSPC); returns its path.</summary>
    public string Fill()
    {
        var filler = System.IO.Path.Combine(Path, "filler");
        var block = new byte[64 * 1024];
        using var stream = new FileStream(filler, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.None);
        try
        {
            while (true) stream.Write(block);
        }
        catch (IOException)
        {
            // the disk is full: that is the point
        }

        return filler;
    }

    public async ValueTask DisposeAsync()
    {
        await RunAsync("umount", $"-l {Path}");
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }

    private static string? Probe()
    {
        try
        {
            var disk = MountAsync(1).GetAwaiter().GetResult();
            disk.DisposeAsync().AsTask().GetAwaiter().GetResult();
            return null;
        }
        catch (Exception e)
        {
            return e.Message;
        }
    }

    private static async Task<(int Code, string Output)> RunAsync(string file, string arguments)
    {
        var start = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await error + await output);
    }
}

/// <summary>A fact that needs a mountable tmpfs; skipped with the reason where mounting is not permitted.</summary>
public sealed class TmpfsFactAttribute : Xunit.FactAttribute
{
    public TmpfsFactAttribute()
    {
        if (SmallDisk.WhyNotMountable is { } why) Skip = $"needs a tmpfs mount (root with mount permission): {why}";
    }
}
