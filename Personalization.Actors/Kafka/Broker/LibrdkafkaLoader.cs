using System.Runtime.InteropServices;
using Confluent.Kafka;

namespace Personalization.Actors.Kafka.Broker;

/// <summary>
/// Loads the one librdkafka build that works here before any Kafka client exists. On Linux the package's default
/// <c>librdkafka.so</c> needs libsasl2.so.3 (absent on Debian 12), so the self-contained centos8 build is loaded by
/// path; Confluent's loader P/Invokes an unversioned "libdl" that Debian lacks, so that name is resolved to
/// libdl.so.2. Elsewhere Confluent's default loading is used. <see cref="Handle"/> is the library every
/// <c>rd_kafka_mock_*</c> call binds to, so the mock cluster and the clients share one copy.
/// </summary>
public static class LibrdkafkaLoader
{
    public const string Centos8FileName = "centos8-librdkafka.so";

    private static readonly Lock Gate = new();
    private static volatile bool _loaded;
    private static IntPtr _handle;

    /// <summary>The native library handle (valid after <see cref="EnsureLoaded"/>).</summary>
    public static IntPtr Handle
    {
        get
        {
            EnsureLoaded();
            return _handle;
        }
    }

    /// <summary>Path of the library loaded explicitly, or null when Confluent's default loading was used.</summary>
    public static string? LoadedPath { get; private set; }

    /// <summary>Idempotent and thread-safe; call before creating any Kafka client or mock cluster.</summary>
    public static void EnsureLoaded()
    {
        if (_loaded) return;
        lock (Gate)
        {
            if (_loaded) return;
            var path = OperatingSystem.IsLinux() ? FindCentos8Build() : null;
            if (path is not null)
            {
                _handle = NativeLibrary.Load(path);
                try
                {
                    NativeLibrary.SetDllImportResolver(typeof(Library).Assembly, ResolveForConfluent);
                }
                catch (InvalidOperationException)
                {
                    // Someone registered a resolver for Confluent.Kafka already; Library.Load below still decides.
                }

                Library.Load(path);
                LoadedPath = path;
            }
            else
            {
                // macOS/Windows (or a Linux layout without the centos8 file): Confluent finds its own build.
                _ = Library.Version;
                if (!NativeLibrary.TryLoad("librdkafka", typeof(Library).Assembly, null, out _handle))
                    throw new DllNotFoundException("librdkafka could not be loaded for the mock cluster bindings.");
            }

            _loaded = true;
        }
    }

    private static IntPtr ResolveForConfluent(string name, System.Reflection.Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name == "libdl")
            return NativeLibrary.TryLoad("libdl.so.2", out var dl) ? dl : IntPtr.Zero;
        if (name is "librdkafka" or "centos8-librdkafka")
            return _handle;
        return IntPtr.Zero;
    }

    /// <summary>
    /// The copy our MSBuild item places in <c>librdkafka/&lt;rid&gt;/</c>, else NuGet's runtimes layout (portable
    /// build), else the flattened RID-specific publish layout.
    /// </summary>
    private static string? FindCentos8Build()
    {
        var rid = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? "linux-arm64" : "linux-x64";
        var baseDir = AppContext.BaseDirectory;
        string[] candidates =
        [
            Path.Combine(baseDir, "librdkafka", rid, Centos8FileName),
            Path.Combine(baseDir, "runtimes", rid, "native", Centos8FileName),
            Path.Combine(baseDir, Centos8FileName),
        ];
        return candidates.FirstOrDefault(File.Exists);
    }
}
