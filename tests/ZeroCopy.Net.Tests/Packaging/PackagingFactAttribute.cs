using Xunit;

namespace ZeroCopy.Net.Tests.Packaging;

/// <summary>
/// A fact that packs the library and builds a consumer with the <c>dotnet</c> CLI. It runs once, in
/// the net10.0 test project (the package holds every target framework, so a second run against the
/// netstandard2.0 project reference would test the same package), and only where <c>dotnet</c> is on PATH.
/// </summary>
public sealed class PackagingFactAttribute : FactAttribute
{
    public PackagingFactAttribute()
    {
#if LIBRARY_NETSTANDARD
        Skip = "Packaging runs once, in ZeroCopy.Net.Tests: the package is the same whichever library build the tests reference.";
#else
        if (DotnetCli.FindOnPath() is null)
        {
            Skip = "The dotnet CLI is not on PATH, so the package cannot be packed and consumed here.";
        }
        else if (RepositoryLayout.FindRoot() is null)
        {
            Skip = "The repository (ZeroCopy.Net.sln) is not above the test binaries, so there is nothing to pack.";
        }
#endif
    }
}
