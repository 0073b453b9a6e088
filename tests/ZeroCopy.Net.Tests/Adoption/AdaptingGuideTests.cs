using System;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Xunit;
using ZeroCopy.Net.Tests.Packaging;

namespace ZeroCopy.Net.Tests.Adoption;

/// <summary>docs/adapting-socket-send.md shows only compiled code: each of its C# blocks is a region of samples/AdaptingSnippets, verbatim.</summary>
public class AdaptingGuideTests
{
    [Fact]
    public void EveryCodeBlockOfTheGuideIsASnippetRegionVerbatim()
    {
        string root = RepositoryLayout.Root;
        string guide = File.ReadAllText(Path.Combine(root, "docs", "adapting-socket-send.md")).Replace("\r\n", "\n", StringComparison.Ordinal);
        string source = File.ReadAllText(Path.Combine(root, "samples", "AdaptingSnippets", "Snippets.cs")).Replace("\r\n", "\n", StringComparison.Ordinal);

        string[] blocks = Regex.Matches(guide, "```csharp(?: members)?\n(.*?)```", RegexOptions.Singleline).Select(m => m.Groups[1].Value).ToArray();
        var regions = Regex.Matches(source, @"^[ \t]*// <([a-z-]+)>\n(.*?)^[ \t]*// </\1>\n", RegexOptions.Singleline | RegexOptions.Multiline)
            .ToDictionary(m => m.Groups[1].Value, m => Normalize(m.Groups[2].Value));

        Assert.Equal(9, regions.Count);
        Assert.Equal(regions.Count, blocks.Length);
        foreach (string block in blocks)
        {
            string normalized = Normalize(block);
            Assert.True(regions.ContainsValue(normalized), "this block of docs/adapting-socket-send.md is not a region of samples/AdaptingSnippets/Snippets.cs:\n" + block);
        }

        Assert.Equal(regions.Count, blocks.Select(Normalize).Distinct().Count());
    }

    // Indentation differs (the guide shows regions dedented), and a block starts with the using lines
    // its method needs (at the top of Snippets.cs); every other character must match.
    private static string Normalize(string code) => string.Join("\n", code.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).SkipWhile(l => l.StartsWith("using ", StringComparison.Ordinal)));
}
