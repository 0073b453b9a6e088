using System;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ZeroCopy.Net.Analyzers;

/// <summary>ZC0001: a socket send of a whole file: <c>Send(File.ReadAllBytes(path))</c>, its async forms, or <c>SendFile(path)</c>.</summary>
internal sealed class WholeFileSend
{
    private WholeFileSend(SocketSend send, IOperation path, IOperation? cancellationToken, IVariableDeclaratorOperation? declaration = null)
    {
        Send = send;
        Path = path;
        CancellationToken = cancellationToken;
        Declaration = declaration;
    }

    public SocketSend Send { get; }

    public IOperation Path { get; }

    public IOperation? CancellationToken { get; }

    /// <summary>
    /// Set when the send's buffer is a local read from the file in its declaration
    /// (<c>var bytes = File.ReadAllBytes(path); socket.Send(bytes);</c>) and used nowhere else.
    /// </summary>
    public IVariableDeclaratorOperation? Declaration { get; }

    public static WholeFileSend? Match(SocketSend send, KnownTypes types)
    {
        if (!send.FlagsAreDefault)
        {
            return null;
        }

        if (send.Kind == SocketSendKind.File)
        {
            return new WholeFileSend(send, send.Path!, send.CancellationToken);
        }

        if (send.Kind != SocketSendKind.Memory || send.Buffer is null)
        {
            return null;
        }

        IOperation buffer = OperationHelpers.StripConversions(send.Buffer);
        if (buffer is ILocalReferenceOperation local)
        {
            return MatchLocal(send, local.Local, types);
        }

        return MatchRead(send, buffer, types, null);
    }

    private static WholeFileSend? MatchRead(SocketSend send, IOperation buffer, KnownTypes types, IVariableDeclaratorOperation? declaration)
    {
        bool awaited = false;
        if (buffer is IAwaitOperation awaitOperation)
        {
            buffer = OperationHelpers.StripConversions(awaitOperation.Operation);
            awaited = true;
        }

        if (buffer is not IInvocationOperation read ||
            !SymbolEqualityComparer.Default.Equals(read.TargetMethod.ContainingType, types.File) ||
            read.TargetMethod.Name != (awaited ? "ReadAllBytesAsync" : "ReadAllBytes"))
        {
            return null;
        }

        IArgumentOperation? path = OperationHelpers.Argument(read, "path");
        if (path is null)
        {
            return null;
        }

        return new WholeFileSend(send, path.Value, send.CancellationToken ?? OperationHelpers.Argument(read, "cancellationToken")?.Value, declaration);
    }

    /// <summary>A local initialised with the file's bytes and read only by this send (a cache is used more than once).</summary>
    private static WholeFileSend? MatchLocal(SocketSend send, ILocalSymbol local, KnownTypes types)
    {
        IOperation root = OperationHelpers.Root(send.Invocation);
        IVariableDeclaratorOperation? declaration = null;
        int references = 0;
        foreach (IOperation operation in root.Descendants())
        {
            if (operation is IVariableDeclaratorOperation declarator && SymbolEqualityComparer.Default.Equals(declarator.Symbol, local))
            {
                declaration = declarator;
            }
            else if (operation is ILocalReferenceOperation reference && SymbolEqualityComparer.Default.Equals(reference.Local, local))
            {
                references++;
            }
        }

        return references == 1 && declaration?.Initializer is { } initializer
            ? MatchRead(send, OperationHelpers.StripConversions(initializer.Value), types, declaration)
            : null;
    }
}

/// <summary>ZC0002: <c>fileStream.CopyTo[Async](networkStream[, bufferSize][, ct])</c>, or into a stream variable created as a NetworkStream.</summary>
internal sealed class FileCopyToNetwork
{
    private FileCopyToNetwork(IInvocationOperation invocation, IOperation source, IOperation destination, IOperation? socket, bool socketProperty, IOperation? cancellationToken)
    {
        Invocation = invocation;
        Source = source;
        Destination = destination;
        SocketFromConstructor = socket;
        HasPublicSocketProperty = socketProperty;
        CancellationToken = cancellationToken;
    }

    public IInvocationOperation Invocation { get; }

    public IOperation Source { get; }

    public IOperation Destination { get; }

    /// <summary>The socket the NetworkStream local was created over (<c>new NetworkStream(socket)</c>), when the code shows it.</summary>
    public IOperation? SocketFromConstructor { get; }

    /// <summary>Whether the destination is typed NetworkStream and <c>NetworkStream.Socket</c> is public in this target (it is protected on netstandard2.0).</summary>
    public bool HasPublicSocketProperty { get; }

    public IOperation? CancellationToken { get; }

    public bool IsAsync => Invocation.TargetMethod.Name == "CopyToAsync";

    public bool CanFix => SocketFromConstructor is not null || HasPublicSocketProperty;

    public static FileCopyToNetwork? Match(IInvocationOperation invocation, KnownTypes types)
    {
        if (invocation.TargetMethod.Name is not ("CopyTo" or "CopyToAsync") || invocation.Instance is null ||
            !KnownTypes.Is(invocation.Instance.Type, types.FileStream) ||
            OperationHelpers.Argument(invocation, "destination") is not { } destination)
        {
            return null;
        }

        // A NetworkStream, or any stream variable the code shows was created as one over a socket.
        IOperation? socket = SocketOfNetworkStreamLocal(destination.Value, types);
        bool networkStream = KnownTypes.Is(OperationHelpers.StripConversions(destination.Value).Type, types.NetworkStream);
        if (!networkStream && socket is null)
        {
            return null;
        }

        bool property = false;
        foreach (ISymbol member in types.NetworkStream!.GetMembers("Socket"))
        {
            property |= networkStream && member is IPropertySymbol { DeclaredAccessibility: Accessibility.Public };
        }

        return new FileCopyToNetwork(invocation, invocation.Instance, destination.Value, socket, property, OperationHelpers.Argument(invocation, "cancellationToken")?.Value);
    }

    /// <summary>The socket of <c>var stream = new NetworkStream(socket, ...)</c>, when the destination is that local.</summary>
    private static IOperation? SocketOfNetworkStreamLocal(IOperation destination, KnownTypes types)
    {
        if (OperationHelpers.ReferencedSymbol(destination) is not ILocalSymbol local || destination.SemanticModel is not { } model)
        {
            return null;
        }

        foreach (SyntaxReference reference in local.DeclaringSyntaxReferences)
        {
            if (reference.SyntaxTree == model.SyntaxTree &&
                reference.GetSyntax() is Microsoft.CodeAnalysis.CSharp.Syntax.VariableDeclaratorSyntax { Initializer.Value: { } value } &&
                model.GetOperation(value) is { } created &&
                OperationHelpers.StripConversions(created) is IObjectCreationOperation creation &&
                KnownTypes.Is(creation.Type, types.NetworkStream) &&
                OperationHelpers.Argument(creation.Arguments, "socket") is { } socketArgument &&
                OperationHelpers.ReferencedSymbol(socketArgument.Value) is not null)
            {
                return socketArgument.Value;
            }
        }

        return null;
    }
}

/// <summary>ZC0004: a small header send directly followed by a body send (memory or file) on the same socket.</summary>
internal sealed class HeaderThenBodySends
{
    /// <summary>Header sends no larger than this (when the code shows a size) count as small: the library's own small-body bound.</summary>
    public const int SmallHeaderBytes = 16 * 1024;

    private HeaderThenBodySends(SocketSend header, SocketSend body, WholeFileSend? file)
    {
        Header = header;
        Body = body;
        File = file;
    }

    public SocketSend Header { get; }

    public SocketSend Body { get; }

    /// <summary>Set when the body is a whole file.</summary>
    public WholeFileSend? File { get; }

    public IOperation? CancellationToken => File?.CancellationToken ?? Body.CancellationToken ?? Header.CancellationToken;

    public static HeaderThenBodySends? Match(IOperation first, IOperation second, KnownTypes types)
    {
        if (first is not IExpressionStatementOperation { Operation: { } firstValue } ||
            second is not IExpressionStatementOperation { Operation: { } secondValue } ||
            OperationHelpers.StripAwait(firstValue) is not IInvocationOperation firstCall ||
            OperationHelpers.StripAwait(secondValue) is not IInvocationOperation secondCall ||
            SocketSend.Match(firstCall, types) is not { Kind: SocketSendKind.Memory, FlagsAreDefault: true, Buffer: { } headerBuffer } header ||
            SocketSend.Match(secondCall, types) is not { FlagsAreDefault: true } body ||
            body.Kind == SocketSendKind.FileWithBuffers ||
            !header.SameSocketAs(body) ||
            !LooksLikeSmallHeader(headerBuffer))
        {
            return null;
        }

        return new HeaderThenBodySends(header, body, WholeFileSend.Match(body, types));
    }

    /// <summary>A buffer the code shows to be small (a constant size up to 16 KiB) or names as a header.</summary>
    private static bool LooksLikeSmallHeader(IOperation buffer)
    {
        IOperation value = OperationHelpers.StripConversions(buffer);
        if (value is IArrayCreationOperation creation)
        {
            return creation.DimensionSizes.Length == 1 && creation.DimensionSizes[0].ConstantValue is { HasValue: true, Value: int size } && size <= SmallHeaderBytes;
        }

        string? name = value switch
        {
            IInvocationOperation invocation => invocation.TargetMethod.Name,
            _ => OperationHelpers.ReferencedSymbol(value)?.Name,
        };
        if (name is null)
        {
            return false;
        }

        foreach (string word in new[] { "header", "prefix", "preamble", "status" })
        {
            if (name.IndexOf(word, StringComparison.OrdinalIgnoreCase) >= 0)
            {
                return true;
            }
        }

        // "head" as a word of the name (head, headBytes, responseHead), not inside one (overhead, ahead).
        return name.StartsWith("head", StringComparison.OrdinalIgnoreCase) || name.IndexOf("Head", StringComparison.Ordinal) > 0;
    }
}
