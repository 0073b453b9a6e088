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
        DotnetCli.Result pack = await _package.EnsurePackedAsync();
        Assert.True(pack.ExitCode == 0, $"dotnet pack failed: {pack}");

        // The consumer is built from a copy: its bin/obj land in the temp folder, not the repository.
        string consumer = Path.Combine(_package.WorkDirectory, "consumer");
        Directory.CreateDirectory(consumer);
        foreach (string file in Directory.EnumerateFiles(RepositoryLayout.ConsumerDirectory))
        {
            File.Copy(file, Path.Combine(consumer, Path.GetFileName(file)));
        }

        WriteNuGetConfig(Path.Combine(consumer, "NuGet.config"));
        var environment = new Dictionary<string, string?> { ["NUGET_PACKAGES"] = _package.PackageCache };
        string dotnet = DotnetCli.FindOnPath()!;

        DotnetCli.Result build = await DotnetCli.RunAsync(
            dotnet, consumer, environment, s_buildTimeout,
            "build", Path.Combine(consumer, "PackageConsumer.csproj"), "-c", "Release", $"-p:ZeroCopyNetVersion={_package.Version}");
        Assert.True(build.ExitCode == 0, $"consumer build failed: {build}");

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
