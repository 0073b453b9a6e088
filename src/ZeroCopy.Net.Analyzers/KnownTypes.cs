using Microsoft.CodeAnalysis;

namespace ZeroCopy.Net.Analyzers;

/// <summary>
/// The types the rules look for, resolved once per compilation. A compilation that does not reference
/// ZeroCopy.Net gets no diagnostics at all: every fix targets its API.
/// </summary>
internal sealed class KnownTypes
{
    private KnownTypes(Compilation compilation, INamedTypeSymbol zeroCopySocket, INamedTypeSymbol socket)
    {
        Compilation = compilation;
        ZeroCopySocket = zeroCopySocket;
        Socket = socket;
        PinnedBuffer = compilation.GetTypeByMetadataName("ZeroCopy.Net.Buffers.PinnedBuffer");
        SendBody = compilation.GetTypeByMetadataName("ZeroCopy.Net.SendBody");
        PinnedMemoryRelease = compilation.GetTypeByMetadataName("ZeroCopy.Net.PinnedMemoryRelease");
        File = compilation.GetTypeByMetadataName("System.IO.File");
        FileStream = compilation.GetTypeByMetadataName("System.IO.FileStream");
        NetworkStream = compilation.GetTypeByMetadataName("System.Net.Sockets.NetworkStream");
        ArrayPool = compilation.GetTypeByMetadataName("System.Buffers.ArrayPool`1");
        ReadOnlyMemory = compilation.GetTypeByMetadataName("System.ReadOnlyMemory`1");
        Memory = compilation.GetTypeByMetadataName("System.Memory`1");
        Span = compilation.GetTypeByMetadataName("System.Span`1");
        ArraySegment = compilation.GetTypeByMetadataName("System.ArraySegment`1");
        PipeWriter = compilation.GetTypeByMetadataName("System.IO.Pipelines.PipeWriter");
    }

    public Compilation Compilation { get; }

    public INamedTypeSymbol ZeroCopySocket { get; }

    public INamedTypeSymbol Socket { get; }

    public INamedTypeSymbol? PinnedBuffer { get; }

    public INamedTypeSymbol? SendBody { get; }

    public INamedTypeSymbol? PinnedMemoryRelease { get; }

    public INamedTypeSymbol? File { get; }

    public INamedTypeSymbol? FileStream { get; }

    public INamedTypeSymbol? NetworkStream { get; }

    public INamedTypeSymbol? ArrayPool { get; }

    public INamedTypeSymbol? ReadOnlyMemory { get; }

    public INamedTypeSymbol? Memory { get; }

    public INamedTypeSymbol? Span { get; }

    public INamedTypeSymbol? ArraySegment { get; }

    public INamedTypeSymbol? PipeWriter { get; }

    public static KnownTypes? Create(Compilation compilation)
    {
        INamedTypeSymbol? zeroCopySocket = compilation.GetTypeByMetadataName("ZeroCopy.Net.ZeroCopySocket");
        INamedTypeSymbol? socket = compilation.GetTypeByMetadataName("System.Net.Sockets.Socket");
        return zeroCopySocket is null || socket is null ? null : new KnownTypes(compilation, zeroCopySocket, socket);
    }

    public static bool Is(ITypeSymbol? type, INamedTypeSymbol? expected)
    {
        for (ITypeSymbol? t = type; t is not null; t = t.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(t.OriginalDefinition, expected))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether <paramref name="type"/> converts implicitly to <c>ReadOnlyMemory&lt;byte&gt;</c> (byte[], Memory, ArraySegment...).</summary>
    public bool ConvertsToReadOnlyMemoryOfByte(ITypeSymbol? type)
    {
        if (type is null || ReadOnlyMemory is null)
        {
            return false;
        }

        INamedTypeSymbol target = ReadOnlyMemory.Construct(Compilation.GetSpecialType(SpecialType.System_Byte));
        return Compilation.ClassifyCommonConversion(type, target).IsImplicit;
    }
}
