namespace ZeroCopy.Net.Analyzers.Tests;

internal static class TestCode
{
    /// <summary>The usings every diagnostics test source starts with.</summary>
    public const string Usings = """
        using System;
        using System.Buffers;
        using System.IO;
        using System.Net.Sockets;
        using System.Threading;
        using System.Threading.Tasks;
        using ZeroCopy.Net;
        using ZeroCopy.Net.Buffers;

        """;
}
