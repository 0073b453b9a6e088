using Xunit;

namespace ZeroCopy.Net.Tests.Strace;

/// <summary>A fact that needs Linux, a working strace and the built probe; otherwise skipped with the reason.</summary>
public sealed class StraceFactAttribute : FactAttribute
{
    public StraceFactAttribute()
    {
        if (StraceRunner.UnavailableReason is string reason)
        {
            Skip = reason;
        }
    }
}
