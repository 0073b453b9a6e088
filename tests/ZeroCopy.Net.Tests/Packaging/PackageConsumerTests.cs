using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Threading.Tasks;
using System.Xml.Linq;
using Xunit;
using ZeroCopy.Net.Tests.Infrastructure;

namespace ZeroCopy.Net.Tests.Packaging;

/// <summary>
/// The package as a user gets it: <c>dotnet pack</c> output inspected, then restored by id and
/// version into a separate app (tests/PackageConsumer) that sends a file over real loopback TCP.
/// </summary>
[Trait("Category", "Slow")]
public sealed class PackageConsumerTests : IClassFixture<PackedLibrary>
{
    private static readonly TimeSpan s_buildTimeout = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan s_runTimeout = TimeSpan.FromMinutes(1);
    private static readonly string[] s_targetFrameworks = ["netstandard2.0", "net8.0", "net10.0"];

    private readonly PackedLibrary _package;

    public PackageConsumerTests(PackedLibrary package) => _package = package;

    [PackagingFact]
    public async Task PackageHoldsEveryTargetWithDocsReadmeLicenseRepositoryAndSymbols()
    {
        DotnetCli.Result pack = await _package.EnsurePackedAsync();
        Assert.True(pack.ExitCode == 0, $"dotnet pack failed: {pack}");
        // EnablePackageValidation runs APICompat across the targets as part of pack (a break fails
        // the pack above); the task leaves this marker only when it ran.
        Assert.True(
            File.Exists(Path.Combine(_package.ArtifactsDirectory, "obj", "ZeroCopy.Net", "release", "Microsoft.NET.ApiCompat.ValidatePackage.semaphore")),
            $"package validation did not run: {pack}");

        using (ZipArchive nupkg = ZipFile.OpenRead(_package.PackagePath))
        {
            HashSet<string> entries = nupkg.Entries.Select(e => e.FullName).ToHashSet(StringComparer.Ordinal);
            foreach (string tfm in s_targetFrameworks)
            {
                Assert.Contains($"lib/{tfm}/ZeroCopy.Net.dll", entries);
                Assert.Contains($"lib/{tfm}/ZeroCopy.Net.xml", entries);
            }

            Assert.Contains("README.md", entries);
            Assert.Contains("LICENSE", entries);
            // The ZC analyzers and code fixes (docs/analyzers.md), where the SDK loads them for C# consumers.
            Assert.Contains("analyzers/dotnet/cs/ZeroCopy.Net.Analyzers.dll", entries);
            Assert.Contains("analyzers/dotnet/cs/ZeroCopy.Net.CodeFixes.dll", entries);
            Assert.DoesNotContain(entries, e => e.EndsWith(".pdb", StringComparison.Ordinal));

            XElement metadata = ReadNuspecMetadata(nupkg);
            XNamespace ns = metadata.Name.Namespace;
            Assert.Equal("ZeroCopy.Net", metadata.Element(ns + "id")?.Value);
            Assert.Equal(_package.Version, metadata.Element(ns + "version")?.Value);
            Assert.Equal("README.md", metadata.Element(ns + "readme")?.Value);
            XElement license = Assert.IsType<XElement>(metadata.Element(ns + "license"));
            Assert.Equal("expression", license.Attribute("type")?.Value);
            Assert.Equal("MIT", license.Value);
            XElement repository = Assert.IsType<XElement>(metadata.Element(ns + "repository"));
            Assert.Equal("git", repository.Attribute("type")?.Value);
            Assert.StartsWith("https://", repository.Attribute("url")?.Value, StringComparison.Ordinal);
            Assert.False(string.IsNullOrWhiteSpace(metadata.Element(ns + "description")?.Value));
            Assert.False(string.IsNullOrWhiteSpace(metadata.Element(ns + "projectUrl")?.Value));

            // The XML docs document the public surface (the build fails on a missing doc comment).
            using Stream docs = nupkg.GetEntry("lib/net10.0/ZeroCopy.Net.xml")!.Open();
            string docText = new StreamReader(docs).ReadToEnd();
            Assert.Contains("M:ZeroCopy.Net.ZeroCopySocket.SendFileAsync(System.String,", docText, StringComparison.Ordinal);
        }

        Assert.True(File.Exists(_package.SymbolsPackagePath), "no .snupkg beside the .nupkg");
        using ZipArchive snupkg = ZipFile.OpenRead(_package.SymbolsPackagePath);
        HashSet<string> symbols = snupkg.Entries.Select(e => e.FullName).ToHashSet(StringComparer.Ordinal);
        foreach (string tfm in s_targetFrameworks)
        {
            Assert.Contains($"lib/{tfm}/ZeroCopy.Net.pdb", symbols);
        }
    }

    [PackagingFact]
    public async Task ConsumerRestoresPackageByIdAndVersionAndSendsFileOverLoopback()
    {
        (string consumer, DotnetCli.Result build) = await BuildConsumerAsync(RepositoryLayout.ConsumerDirectory, "consumer", "PackageConsumer.csproj");
        Assert.True(build.ExitCode == 0, $"consumer build failed: {build}");
        Dictionary<string, string?> environment = ConsumerEnvironment();
        string dotnet = DotnetCli.FindOnPath()!;

        // Restored from the local feed into the empty cache, by id and exact version.
        string restored = Path.Combine(_package.PackageCache, "zerocopy.net", _package.Version.ToLowerInvariant());
        Assert.True(Directory.Exists(restored), $"package not restored to {restored}: {build}");

        DotnetCli.Result run = await DotnetCli.RunAsync(
            dotnet, consumer, environment, s_runTimeout,
            Path.Combine(consumer, "bin", "Release", "net10.0", "PackageConsumer.dll"));
        Assert.True(run.ExitCode == 0, $"consumer failed: {run}");

        const long expectedBytes = (1024 * 1024) + 13 + 4096;
        Assert.Contains($"package: ZeroCopy.Net {_package.Version}", run.Output, StringComparison.Ordinal);
        Assert.Contains($"platform: {ZeroCopySocket.ProcessPlatformName}", run.Output, StringComparison.Ordinal);
        Assert.Contains($"process capabilities: {ZeroCopySocket.ProcessCapabilities}", run.Output, StringComparison.Ordinal);
        Assert.Contains($"sent: {expectedBytes}", run.Output, StringComparison.Ordinal);
        Assert.Contains($"received: {expectedBytes} bytes, identical", run.Output, StringComparison.Ordinal);
        if (ZeroCopySocket.ProcessCapabilities.HasFlag(ZeroCopyCapabilities.KernelSendFile))
        {
            // Where this process has the kernel path, the packaged assembly must take it too.
            Assert.Contains($"kernel sendfile bytes: {expectedBytes}", run.Output, StringComparison.Ordinal);
            Assert.Contains("copied bytes: 0", run.Output, StringComparison.Ordinal);
        }
    }

    [PackagingFact]
    public async Task AnalyzersShipInThePackageAndFlagConsumerCodeInDotnetBuildOutput()
    {
        (_, DotnetCli.Result build) = await BuildConsumerAsync(RepositoryLayout.AnalyzerConsumerDirectory, "analyzer-consumer", "AnalyzerConsumer.csproj");
        Assert.True(build.ExitCode == 0, $"analyzer consumer build failed: {build}");

        // Each flagged line of tests/AnalyzerConsumer/Flagged.cs, at its exact position (ZC0001 is raised to a
        // warning by the consumer's .editorconfig: dotnet build does not print informational diagnostics).
        Assert.Contains("Flagged.cs(13,69): warning ZC0001", build.Output, StringComparison.Ordinal);
        Assert.Contains("Flagged.cs(17,9): warning ZC0003", build.Output, StringComparison.Ordinal);
        Assert.Contains("Flagged.cs(24,9): warning ZC0010", build.Output, StringComparison.Ordinal);
        Assert.Contains("docs/analyzers.md#zc0003", build.Output, StringComparison.Ordinal);
    }

    /// <summary>Packs (once), copies a consumer project and builds it against the package by id and version.</summary>
    private async Task<(string Directory, DotnetCli.Result Build)> BuildConsumerAsync(string sourceDirectory, string name, string project)
    {
        DotnetCli.Result pack = await _package.EnsurePackedAsync();
        Assert.True(pack.ExitCode == 0, $"dotnet pack failed: {pack}");

        string consumer = CopyConsumer(sourceDirectory, name);
        DotnetCli.Result build = await DotnetCli.RunAsync(
            DotnetCli.FindOnPath()!, consumer, ConsumerEnvironment(), s_buildTimeout,
            "build", Path.Combine(consumer, project), "-c", "Release", $"-p:ZeroCopyNetVersion={_package.Version}");
        return (consumer, build);
    }

    /// <summary>The consumer restores into the package's own empty cache.</summary>
    private Dictionary<string, string?> ConsumerEnvironment() => new() { ["NUGET_PACKAGES"] = _package.PackageCache };

    /// <summary>Copies a consumer project to the temp folder (its bin/obj land there, not in the repository), with a NuGet.config for the feed.</summary>
    private string CopyConsumer(string sourceDirectory, string name)
    {
        string consumer = Path.Combine(_package.WorkDirectory, name);
        Directory.CreateDirectory(consumer);
        foreach (string file in Directory.EnumerateFiles(sourceDirectory))
        {
            File.Copy(file, Path.Combine(consumer, Path.GetFileName(file)));
        }

        WriteNuGetConfig(Path.Combine(consumer, "NuGet.config"));
        return consumer;
    }

    /// <summary>
    /// Adds the local feed to the machine's sources (no &lt;clear/&gt;: the consumer's other packages come
    /// from wherever this machine gets packages) and lets restore reuse the machine's package cache
    /// read-only as a fallback folder, so nothing but the fresh package needs the network.
    /// </summary>
    private void WriteNuGetConfig(string path)
    {
        var sources = new XElement("packageSources", new XElement("add", new XAttribute("key", "zerocopy-packagetest"), new XAttribute("value", _package.Feed)));
        var config = new XElement("configuration", sources);
        string machineCache = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        if (Directory.Exists(machineCache))
        {
            config.Add(new XElement("fallbackPackageFolders", new XElement("add", new XAttribute("key", "machine-cache"), new XAttribute("value", machineCache))));
        }

        new XDocument(config).Save(path);
    }

    private static XElement ReadNuspecMetadata(ZipArchive nupkg)
    {
        ZipArchiveEntry nuspec = Assert.Single(nupkg.Entries, e => e.FullName == "ZeroCopy.Net.nuspec");
        using Stream stream = nuspec.Open();
        XDocument doc = XDocument.Load(stream);
        XNamespace ns = doc.Root!.Name.Namespace;
        return Assert.IsType<XElement>(doc.Root.Element(ns + "metadata"));
    }
}
