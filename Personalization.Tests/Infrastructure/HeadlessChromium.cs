using System.Diagnostics;

namespace Personalization.Tests.Infrastructure;

/// <summary>Debian's chromium, headless: the DOM of a page after its scripts ran, or a screenshot.</summary>
public static class HeadlessChromium
{
    public static string Path => new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser" }.FirstOrDefault(File.Exists)
                                 ?? throw new InvalidOperationException("chromium is not installed (apt-get install chromium; test.sh installs it)");

    /// <summary>
    /// The serialized DOM once the page has run for <paramref name="virtualTimeMs"/> of virtual time (timers fire without
    /// waiting; network requests are waited for).
    /// </summary>
    public static Task<string> DumpDomAsync(string url, int virtualTimeMs = 6000) => RunAsync(url, ["--dump-dom", $"--virtual-time-budget={virtualTimeMs}"]);

    public static Task<string> ScreenshotAsync(string url, string png, int width = 1400, int height = 1000, int virtualTimeMs = 6000) =>
        RunAsync(url, [$"--screenshot={png}", $"--window-size={width},{height}", "--hide-scrollbars", $"--virtual-time-budget={virtualTimeMs}"]);

    private static async Task<string> RunAsync(string url, string[] extra)
    {
        var profile = Directory.CreateTempSubdirectory("pz-chromium-").FullName;
        try
        {
            var start = new ProcessStartInfo(Path) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { "--headless", "--disable-gpu", "--no-sandbox", "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions", $"--user-data-dir={profile}" }.Concat(extra))
                start.ArgumentList.Add(a);
            start.ArgumentList.Add(url);
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"chromium did not finish with {url} within 90 s: {await error}");
            }

            if (process.ExitCode != 0) throw new InvalidOperationException($"chromium exited with {process.ExitCode}: {await error}");
            return await output;
        }
        finally
        {
            try { Directory.Delete(profile, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
