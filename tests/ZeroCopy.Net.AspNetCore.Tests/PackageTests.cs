using System;
using System.Diagnostics;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Threading.Tasks;
using System.Xml.Linq;

namespace ZeroCopy.Net.AspNetCore.Tests;

/// <summary>
/// The package as NuGet sees it: packed (with package validation, which fails the pack on an API difference between
/// the targets) into a temporary folder with its own artifacts path, so the repository's bin/obj are untouched.
/// </summary>
public sealed class PackageTests
{
    [Fact]
    [Trait("Category", "Slow")]
    public async Task Pack_HasBothTargets_DocsReadmeSymbols_AndTheDependency()
    {
        string root = FindRoot();
        string work = Path.Combine(Path.GetTempPath(), $"zc-aspnetcore-pack-{Guid.NewGuid():N}");
        try
        {
            var psi = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
            {
                WorkingDirectory = root,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (string arg in new[] { "pack", Path.Combine(root, "src", "ZeroCopy.Net.AspNetCore", "ZeroCopy.Net.AspNetCore.csproj"), "-c", "Release", "-o", Path.Combine(work, "feed"), "--artifacts-path", Path.Combine(work, "artifacts") })
            {
                psi.ArgumentList.Add(arg);
            }

            // The test host runs under `dotnet test`, whose MSBuild variables would steer the nested build
            // (as tests/ZeroCopy.Net.Tests/Packaging/DotnetCli.cs does); no build node outlives the pack.
            foreach (string key in psi.Environment.Keys.ToArray())
            {
                if (key.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || key.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase))
                {
                    psi.Environment.Remove(key);
                }
            }

            psi.Environment["MSBUILDDISABLENODEREUSE"] = "1";
            psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
            psi.Environment["DOTNET_NOLOGO"] = "1";
            using Process pack = Process.Start(psi)!;
            Task<string> stdout = pack.StandardOutput.ReadToEndAsync();
            Task<string> stderr = pack.StandardError.ReadToEndAsync();
            await pack.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
            Assert.True(pack.ExitCode == 0, $"dotnet pack failed ({pack.ExitCode}):\n{await stdout}\n{await stderr}");

            string nupkg = Assert.Single(Directory.GetFiles(Path.Combine(work, "feed"), "ZeroCopy.Net.AspNetCore.*.nupkg"));
            Assert.Single(Directory.GetFiles(Path.Combine(work, "feed"), "ZeroCopy.Net.AspNetCore.*.snupkg"));
            using ZipArchive zip = ZipFile.OpenRead(nupkg);
            string[] entries = zip.Entries.Select(e => e.FullName).ToArray();
            foreach (string tfm in new[] { "net8.0", "net10.0" })
            {
                Assert.Contains($"lib/{tfm}/ZeroCopy.Net.AspNetCore.dll", entries);
                Assert.Contains($"lib/{tfm}/ZeroCopy.Net.AspNetCore.xml", entries);
            }

            Assert.Contains("README.md", entries);
            using (var reader = new StreamReader(zip.GetEntry("README.md")!.Open()))
            {
                Assert.Contains("UseZeroCopy()", await reader.ReadToEndAsync(), StringComparison.Ordinal);
            }

            XDocument nuspec;
            using (Stream s = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open())
            {
                nuspec = XDocument.Load(s);
            }

            XNamespace ns = nuspec.Root!.Name.Namespace;
            Assert.All(nuspec.Descendants(ns + "group").Where(g => g.Parent!.Name.LocalName == "dependencies"), g =>
                Assert.Contains(g.Elements(ns + "dependency"), d => (string?)d.Attribute("id") == "ZeroCopy.Net"));

            // The ZC analyzers reach apps that reference only this package (NuGet's default would exclude them).
            Assert.All(nuspec.Descendants(ns + "dependency").Where(d => (string?)d.Attribute("id") == "ZeroCopy.Net"), d =>
                Assert.DoesNotContain("Analyzers", (string?)d.Attribute("exclude") ?? string.Empty, StringComparison.OrdinalIgnoreCase));
            Assert.Contains(nuspec.Descendants(ns + "frameworkReference"), f => (string?)f.Attribute("name") == "Microsoft.AspNetCore.App");
        }
        finally
        {
            try
            {
                Directory.Delete(work, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static string FindRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ZeroCopy.Net.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("ZeroCopy.Net.sln not found above " + AppContext.BaseDirectory);
    }
}
