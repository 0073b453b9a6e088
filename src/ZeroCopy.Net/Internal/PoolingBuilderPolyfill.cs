// One line per pooled async method on every target: [PooledAsync(typeof(PoolingAsyncValueTaskMethodBuilder<>))].
//
// On net8.0+ PooledAsyncAttribute is System.Runtime.CompilerServices.AsyncMethodBuilderAttribute
// (the compiler recognises the attribute by its type, so an alias works): the method's state
// machine box is pooled, and a send that goes async allocates nothing in steady state.
// netstandard2.0 has neither the pooling builders (.NET 6) nor a method-level AsyncMethodBuilder
// (its attribute from System.Threading.Tasks.Extensions targets types only): there the alias names
// a do-nothing attribute and the builder names are markers, so the method keeps the default builder
// (which allocates when it goes async, as docs/design.md says).
#if NETSTANDARD2_0
global using PooledAsyncAttribute = ZeroCopy.Net.Internal.DownlevelPooledAsyncAttribute;

namespace ZeroCopy.Net.Internal
{
    using System;

    /// <summary>netstandard2.0: stands in for AsyncMethodBuilderAttribute on methods, and does nothing.</summary>
    [AttributeUsage(AttributeTargets.Method, Inherited = false)]
    internal sealed class DownlevelPooledAsyncAttribute : Attribute
    {
        public DownlevelPooledAsyncAttribute(Type builderType) => BuilderType = builderType;

        public Type BuilderType { get; }
    }
}

namespace System.Runtime.CompilerServices
{
    /// <summary>netstandard2.0 marker for the .NET 6+ pooling builder (see the file header).</summary>
    internal static class PoolingAsyncValueTaskMethodBuilder
    {
    }

    /// <summary>netstandard2.0 marker for the .NET 6+ pooling builder (see the file header).</summary>
    internal static class PoolingAsyncValueTaskMethodBuilder<TResult>
    {
    }
}
#else
global using PooledAsyncAttribute = System.Runtime.CompilerServices.AsyncMethodBuilderAttribute;
#endif
