using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using System.Xml.Linq;

namespace ZeroCopy.Net.Tests.Packaging;

/// <summary>
/// Packs the library once per test class, on first use, into a private temp folder: a local feed
/// (the .nupkg and .snupkg), the build's artifacts (so the repository's bin/obj are untouched) and an
/// empty NuGet package cache for the consumer.
/// </summary>
/// <remarks>
/// The version is the project's own plus a unique pre-release tag (<c>0.1.0-packagetest.&lt;ticks&gt;</c>)
/// and the consumer restores into an empty cache, so a package cached by an earlier run can never
/// be picked up instead of the one just packed.
/// </remarks>
public sealed class PackedLibrary : IDisposable
{
    private static readonly TimeSpan s_packTimeout = TimeSpan.FromMinutes(5);
    private readonly Lazy<Task<DotnetCli.Result>> _pack;

    public PackedLibrary()
    {
        WorkDirectory = Path.Combine(Path.GetTempPath(), $"zc-packaging-{Guid.NewGuid():N}");
        Feed = Path.Combine(WorkDirectory, "feed");
        PackageCache = Path.Combine(WorkDirectory, "packages");
        Version = $"{ProjectVersion()}-packagetest.{DateTime.UtcNow.Ticks}";
        _pack = new Lazy<Task<DotnetCli.Result>>(PackAsync, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public string WorkDirectory { get; }

    public string Feed { get; }

    public string PackageCache { get; }

    /// <summary>The pack's bin/obj (<c>--artifacts-path</c>), away from the repository's.</summary>
    public string ArtifactsDirectory => Path.Combine(WorkDirectory, "artifacts");

    public string Version { get; }

    public string PackagePath => Path.Combine(Feed, $"ZeroCopy.Net.{Version}.nupkg");

    public string SymbolsPackagePath => Path.Combine(Feed, $"ZeroCopy.Net.{Version}.snupkg");

    /// <summary>Packs (once) and returns the CLI's result.</summary>
    internal Task<DotnetCli.Result> EnsurePackedAsync() => _pack.Value;

    private Task<DotnetCli.Result> PackAsync()
    {
        Directory.CreateDirectory(WorkDirectory);
        return DotnetCli.RunAsync(
            DotnetCli.FindOnPath()!,
            RepositoryLayout.Root,
            new Dictionary<string, string?>(),
            s_packTimeout,
            "pack", RepositoryLayout.LibraryProject,
            "-c", "Release",
            "-o", Feed,
            "--artifacts-path", ArtifactsDirectory,
            $"-p:Version={Version}");
    }

    /// <summary>The library project's &lt;Version&gt; (xunit builds this fixture even where every test is skipped: no throwing).</summary>
    private static string ProjectVersion()
    {
        if (RepositoryLayout.FindRoot() is null)
        {
            return "0.0.0";
        }

        return (string?)XDocument.Load(RepositoryLayout.LibraryProject).Root?.Element("PropertyGroup")?.Element("Version") ?? "0.0.0";
    }

    public void Dispose()
    {
        try
        {
            if (Directory.Exists(WorkDirectory))
            {
                Directory.Delete(WorkDirectory, recursive: true);
            }
        }
        catch (IOException)
        {
            // A leftover temp folder is not worth failing the run for.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
