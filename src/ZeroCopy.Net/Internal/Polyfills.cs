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
