using Xunit;
using ZeroCopy.Net.Tests.Infrastructure;

namespace ZeroCopy.Net.Tests.ForeignPlatforms;

/// <summary>On their own OS, the Windows and BSD paths are chosen (their probes pass) and report only what they really do.</summary>
public class ForeignPlatformSelectionTests
{
    [WindowsFact]
    public void WindowsChoosesTransmitFile()
    {
        Assert.Null(ZeroCopySocket.ProcessFallbackReason);
        Assert.Equal("windows", ZeroCopySocket.ProcessPlatformName);
        Assert.Equal(ZeroCopyCapabilities.KernelSendFile | ZeroCopyCapabilities.Cork, ZeroCopySocket.ProcessCapabilities);
    }

    [BsdFact]
    public void BsdChoosesSendfileWithKqueue()
    {
        Assert.Null(ZeroCopySocket.ProcessFallbackReason);
        Assert.Equal(System.OperatingSystem.IsMacOS() ? "macos" : "freebsd", ZeroCopySocket.ProcessPlatformName);
        Assert.Equal(
            ZeroCopyCapabilities.KernelSendFile | ZeroCopyCapabilities.Cork | ZeroCopyCapabilities.AsyncReadiness,
            ZeroCopySocket.ProcessCapabilities);
    }

    [Fact]
    public void NoOtherOSChoosesTheWindowsOrBsdPath()
    {
        bool windows = System.OperatingSystem.IsWindows();
        bool bsd = System.OperatingSystem.IsMacOS() || System.OperatingSystem.IsFreeBSD();
        Assert.Equal(windows, ZeroCopySocket.ProcessPlatformName == "windows" || (windows && ZeroCopySocket.ProcessPlatformName == "portable"));
        Assert.Equal(bsd, ZeroCopySocket.ProcessPlatformName is "freebsd" or "macos" || (bsd && ZeroCopySocket.ProcessPlatformName == "portable"));
    }
}
