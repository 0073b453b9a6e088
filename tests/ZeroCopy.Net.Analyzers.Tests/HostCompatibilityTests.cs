using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using Xunit;

namespace ZeroCopy.Net.Analyzers.Tests;

/// <summary>
/// The analyzers must load in the .NET 8 SDK's compiler (Roslyn 4.8, with System.Collections.Immutable
/// 7.0 in Visual Studio 17.8's .NET Framework host). A compiler refuses an analyzer that references a
/// newer Microsoft.CodeAnalysis than its own (warning CS8032, and no diagnostics at all), so the
/// references compiled into the two DLLs that ship are the contract. No .NET 8 SDK or Roslyn 4.8 compiler
/// package can be restored here (the oldest Microsoft.Net.Compilers.Toolset served is 4.14), so this reads
/// the metadata instead: an upgrade of the Microsoft.CodeAnalysis package that would break the .NET 8
/// SDK fails here.
/// </summary>
public class HostCompatibilityTests
{
    private static readonly Version Roslyn48 = new(4, 8, 0, 0);
    private static readonly Version Immutable70 = new(7, 0, 0, 0);

    [Theory]
    [InlineData("ZeroCopy.Net.Analyzers.dll")]
    [InlineData("ZeroCopy.Net.CodeFixes.dll")]
    public void ShippedAnalyzerReferencesNothingNewerThanTheNet8SdkCompiler(string file)
    {
        Dictionary<string, Version> references = References(Path.Combine(AppContext.BaseDirectory, file));

        Assert.Contains("Microsoft.CodeAnalysis", references.Keys);
        foreach ((string name, Version version) in references)
        {
            if (name.StartsWith("Microsoft.CodeAnalysis", StringComparison.Ordinal))
            {
                Assert.True(version <= Roslyn48, $"{file} references {name} {version}, newer than the .NET 8 SDK's Roslyn 4.8");
            }
            else if (name == "System.Collections.Immutable")
            {
                Assert.True(version <= Immutable70, $"{file} references {name} {version}, newer than Roslyn 4.8's 7.0");
            }
        }

        // netstandard2.0: the compiler loads it on .NET and on .NET Framework alike.
        Assert.Equal(new Version(2, 0, 0, 0), references["netstandard"]);
    }

    private static Dictionary<string, Version> References(string path)
    {
        using var pe = new PEReader(File.OpenRead(path));
        MetadataReader metadata = pe.GetMetadataReader();
        return metadata.AssemblyReferences
            .Select(handle => metadata.GetAssemblyReference(handle))
            .ToDictionary(reference => metadata.GetString(reference.Name), reference => reference.Version);
    }
}
