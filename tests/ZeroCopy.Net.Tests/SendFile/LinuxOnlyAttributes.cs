using Xunit;

namespace ZeroCopy.Net.Tests.SendFile;

/// <summary>A fact that runs only where the process uses the Linux kernel path; elsewhere it is skipped with the reason.</summary>
public sealed class LinuxKernelFactAttribute : FactAttribute
{
    public LinuxKernelFactAttribute()
    {
        if (ZeroCopySocket.ProcessPlatformName != "linux")
        {
            Skip = $"Needs the Linux kernel path; this process uses '{ZeroCopySocket.ProcessPlatformName}' ({ZeroCopySocket.ProcessFallbackReason}).";
        }
    }
}
