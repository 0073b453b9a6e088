using Xunit;

namespace ZeroCopy.Net.Tests.Infrastructure;

/// <summary>Every socket test runs over both platform paths: the kernel path chosen for this OS, and the forced portable path.</summary>
public static class SendPaths
{
    public static TheoryData<bool> Both => new() { false, true };

    public static ZeroCopySocketOptions Options(bool forcePortable) => new() { ForcePortable = forcePortable };
}
