using System;
using System.IO;

namespace ZeroCopy.Net.Tests.Packaging;

/// <summary>Finds the repository the tests were built from.</summary>
internal static class RepositoryLayout
{
    /// <summary>The directory holding ZeroCopy.Net.sln, searched upwards from the test binaries.</summary>
    public static string? FindRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ZeroCopy.Net.sln")))
            {
                return dir.FullName;
            }
        }

        return null;
    }

    public static string Root => FindRoot() ?? throw new InvalidOperationException("ZeroCopy.Net.sln not found above " + AppContext.BaseDirectory);

    public static string LibraryProject => Path.Combine(Root, "src", "ZeroCopy.Net", "ZeroCopy.Net.csproj");

    public static string ConsumerDirectory => Path.Combine(Root, "tests", "PackageConsumer");

    /// <summary>A consumer whose code the ZC analyzers flag (the analyzers ship in the package and load).</summary>
    public static string AnalyzerConsumerDirectory => Path.Combine(Root, "tests", "AnalyzerConsumer");
}
