using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Xunit;

namespace ZeroCopy.Net.Analyzers.Tests;

/// <summary>Every rule has a title, a message, a help link to its own section of docs/analyzers.md, and that section exists.</summary>
public sealed class RuleDocumentationTests
{
    private static readonly DiagnosticAnalyzer[] s_analyzers = [new MigrationAnalyzer(), new OwnershipAnalyzer()];

    public static IEnumerable<object[]> Rules() =>
        s_analyzers.SelectMany(a => a.SupportedDiagnostics).Select(d => new object[] { d.Id });

    [Theory]
    [MemberData(nameof(Rules))]
    public void RuleHasTitleMessageHelpLinkAndADocumentedSection(string id)
    {
        DiagnosticDescriptor rule = s_analyzers.SelectMany(a => a.SupportedDiagnostics).Single(d => d.Id == id);
        Assert.Matches("^ZC00[0-9][0-9]$", rule.Id);
        Assert.False(string.IsNullOrWhiteSpace(rule.Title.ToString()));
        Assert.False(string.IsNullOrWhiteSpace(rule.MessageFormat.ToString()));
        Assert.True(rule.IsEnabledByDefault);
        Assert.Equal($"https://github.com/zerocopy-net/ZeroCopy.Net/blob/main/docs/analyzers.md#{id.ToLowerInvariant()}", rule.HelpLinkUri);

        string[] lines = File.ReadAllLines(Path.Combine(RepositoryRoot(), "docs", "analyzers.md"));
        Assert.Contains($"## {id}", lines);
        string severity = rule.DefaultSeverity == DiagnosticSeverity.Warning ? "**warning**" : "info";
        Assert.Contains(lines, line => line.StartsWith($"| [{id}](#{id.ToLowerInvariant()}) | {severity} |", StringComparison.Ordinal));
    }

    [Fact]
    public void ReadmeAndAdaptingGuidePointToTheAnalyzers()
    {
        Assert.Contains("docs/analyzers.md", File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md")), StringComparison.Ordinal);
        Assert.Contains("(analyzers.md)", File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "adapting-socket-send.md")), StringComparison.Ordinal);
    }

    [Fact]
    public void TestSourcesCompileAgainstTheLibraryReferenceAssembly()
    {
        string path = TestReferences.LibraryReferenceAssembly;
        Assert.True(File.Exists(path), path);
        Assert.Equal("ref", Path.GetFileName(Path.GetDirectoryName(path)));
    }

    private static string RepositoryRoot() =>
        typeof(RuleDocumentationTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepositoryRoot").Value!;
}
