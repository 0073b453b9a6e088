// Downlevel shims for the netstandard2.0 build, so the shared code reads the same on every target.
#if NETSTANDARD2_0
using System;
using System.Threading;

namespace System.Diagnostics.CodeAnalysis
{
    [AttributeUsage(AttributeTargets.Method, Inherited = false)]
    internal sealed class DoesNotReturnAttribute : Attribute
    {
    }

    [AttributeUsage(AttributeTargets.Parameter, Inherited = false)]
    internal sealed class NotNullWhenAttribute : Attribute
    {
        public NotNullWhenAttribute(bool returnValue) => ReturnValue = returnValue;

        public bool ReturnValue { get; }
    }
}

namespace System.Runtime.Versioning
{
    /// <summary>netstandard2.0 has no platform-compatibility attribute; this one documents the same intent there (the analyzer reads the real one on net8.0+).</summary>
    [AttributeUsage(AttributeTargets.Class | AttributeTargets.Method | AttributeTargets.Constructor, AllowMultiple = true, Inherited = false)]
    internal sealed class SupportedOSPlatformAttribute : Attribute
    {
        public SupportedOSPlatformAttribute(string platformName) => PlatformName = platformName;

        public string PlatformName { get; }
    }
}

namespace System.Runtime.CompilerServices
{
    internal static class IsExternalInit
    {
    }
}

namespace ZeroCopy.Net.Internal
{
    internal static class CancellationTokenPolyfills
    {
        /// <summary>netstandard2.0 has no UnsafeRegister; Register without capturing the sync context is the closest.</summary>
        public static CancellationTokenRegistration UnsafeRegister(this CancellationToken token, Action<object?> callback, object? state)
            => token.Register(callback, state, useSynchronizationContext: false);
    }
}
#endif
