using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Xunit;

namespace ZeroCopy.Net.Analyzers.Tests;

/// <summary>
/// samples/AdaptingSnippets/Snippets.cs (the code of docs/adapting-socket-send.md) through the analyzers:
/// every "before" region gets its rule's diagnostic on the exact call, every other region none.
/// </summary>
public sealed class AdaptingSnippetsTests
{
    /// <summary>Region, rule, and the source text the diagnostic must cover.</summary>
    private static readonly (string Region, string Id, string Text)[] s_expected =
    [
        ("file-before", "ZC0001", "socket.Send(File.ReadAllBytes(path))"),
        ("headers-before", "ZC0004", "socket.SendAsync(header, SocketFlags.None)"),
        ("headers-before", "ZC0001", "socket.SendAsync(await File.ReadAllBytesAsync(path), SocketFlags.None)"),
        ("pooled-before", "ZC0005", "ArrayPool<byte>.Shared.Rent(length)"),
        ("pipe-before", "ZC0006", "PipeWriter.Create(stream)"),
    ];

    private static readonly string[] s_regions =
        ["file-before", "file-after", "headers-before", "headers-after", "pooled-before", "pooled-after", "protocol-writer", "pipe-before", "pipe-after"];

    [Fact]
    public async Task BeforeSnippetsGetTheirDiagnosticAndAfterSnippetsNone()
    {
        string path = Path.Combine(RepositoryRoot(), "samples", "AdaptingSnippets", "Snippets.cs");
        string source = await File.ReadAllTextAsync(path);
        SyntaxTree tree = CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest), path);
        CSharpCompilation compilation = CSharpCompilation.Create(
            "AdaptingSnippets",
            [tree],
            TestReferences.All,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));

        ImmutableArray<Diagnostic> diagnostics = await compilation
            .WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new MigrationAnalyzer(), new OwnershipAnalyzer()))
            .GetAnalyzerDiagnosticsAsync();

        Dictionary<string, (int Start, int End)> regions = s_regions.ToDictionary(name => name, name => Region(source, name));
        var actual = diagnostics
            .Select(d => (Region: RegionOf(regions, d.Location.SourceSpan.Start), d.Id, Text: source.Substring(d.Location.SourceSpan.Start, d.Location.SourceSpan.Length)))
            .OrderBy(d => d.Region, StringComparer.Ordinal).ThenBy(d => d.Id, StringComparer.Ordinal)
            .ToList();
        var expected = s_expected.OrderBy(d => d.Region, StringComparer.Ordinal).ThenBy(d => d.Id, StringComparer.Ordinal).ToList();
        Assert.Equal(expected, actual);
    }

    private static (int Start, int End) Region(string source, string name)
    {
        Match start = Regex.Match(source, $@"// <{Regex.Escape(name)}>");
        Match end = Regex.Match(source, $@"// </{Regex.Escape(name)}>");
        Assert.True(start.Success && end.Success, $"region {name} not found in Snippets.cs");
        return (start.Index, end.Index);
    }

    private static string RegionOf(Dictionary<string, (int Start, int End)> regions, int position) =>
        regions.FirstOrDefault(r => position > r.Value.Start && position < r.Value.End).Key ?? "(outside any region)";

    private static string RepositoryRoot() =>
        typeof(AdaptingSnippetsTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepositoryRoot").Value!;
}
