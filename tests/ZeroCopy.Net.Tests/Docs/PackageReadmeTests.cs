using System;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Xunit;
using ZeroCopy.Net.Tests.Packaging;

namespace ZeroCopy.Net.Tests.Docs;

/// <summary>
/// README.md is the package's readme (PackageReadmeFile): on nuget.org a relative link resolves
/// against the package page and breaks, so every link in it is absolute, into the repository that
/// Directory.Build.props names.
/// </summary>
public class PackageReadmeTests
{
    [Fact]
    public void EveryReadmeLinkIsAbsoluteAndPointsIntoTheRepository()
    {
        string root = RepositoryLayout.Root;
        string repository = XDocument.Load(Path.Combine(root, "Directory.Build.props")).Descendants("RepositoryUrl").Single().Value;
        string readme = File.ReadAllText(Path.Combine(root, "README.md"));
        string[] links = Regex.Matches(readme, @"\]\(([^)\s]+)\)").Select(m => m.Groups[1].Value).ToArray();
        Assert.NotEmpty(links);
        foreach (string link in links)
        {
            Assert.True(link.StartsWith("https://", StringComparison.Ordinal) || link.StartsWith('#'), $"relative link in README.md (broken on the package page): {link}");
            if (link.StartsWith(repository + "/blob/main/", StringComparison.Ordinal))
            {
                // A link into the repository names a file that exists.
                string relative = link.Substring(repository.Length + "/blob/main/".Length).Split('#')[0];
                Assert.True(File.Exists(Path.Combine(root, relative)), $"README.md links to {relative}, which does not exist");
            }
        }

        Assert.Contains(links, l => l.StartsWith(repository + "/blob/main/docs/", StringComparison.Ordinal));
    }
}
