using Xunit;

namespace ZeroCopy.Net.Tests.Infrastructure;

/// <summary>
/// Tests that must not share the process with others while they run: strace proofs (a tracer that
/// follows the test host's children makes another tracer's child fail PTRACE_TRACEME, and traced
/// syscalls must be ours) and allocation counts. xunit runs this collection alone, after the rest.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class IsolatedCollection
{
    public const string Name = "Isolated: strace and allocation tests";
}
