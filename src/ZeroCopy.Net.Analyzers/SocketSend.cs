using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ZeroCopy.Net.Analyzers;

internal enum SocketSendKind
{
    /// <summary><c>Send</c>/<c>SendAsync</c> of one buffer.</summary>
    Memory,

    /// <summary><c>SendFile(path)</c>/<c>SendFileAsync(path[, ct])</c>.</summary>
    File,

    /// <summary><c>SendFile</c>/<c>SendFileAsync</c> with pre- and post-buffers.</summary>
    FileWithBuffers,
}

/// <summary>
/// A call to one of <see cref="System.Net.Sockets.Socket"/>'s send methods whose arguments a ZC fix can
/// carry over: one buffer (no offset/size/error code/buffer list), or a file with optional buffers.
/// </summary>
internal sealed class SocketSend
{
    private SocketSend(IInvocationOperation invocation, SocketSendKind kind)
    {
        Invocation = invocation;
        Kind = kind;
        Socket = invocation.Instance!;
        Buffer = OperationHelpers.Argument(invocation, "buffer")?.Value;
        Path = OperationHelpers.Argument(invocation, "fileName")?.Value;
        PreBuffer = OperationHelpers.Argument(invocation, "preBuffer")?.Value;
        PostBuffer = OperationHelpers.Argument(invocation, "postBuffer")?.Value;
        CancellationToken = OperationHelpers.Argument(invocation, "cancellationToken")?.Value;
        FlagsAreDefault = OperationHelpers.IsAbsentOrZero(OperationHelpers.Argument(invocation, "socketFlags"))
            && OperationHelpers.IsAbsentOrZero(OperationHelpers.Argument(invocation, "flags"));
    }

    public IInvocationOperation Invocation { get; }

    public SocketSendKind Kind { get; }

    public IOperation Socket { get; }

    public IOperation? Buffer { get; }

    public IOperation? Path { get; }

    public IOperation? PreBuffer { get; }

    public IOperation? PostBuffer { get; }

    public IOperation? CancellationToken { get; }

    /// <summary>SocketFlags.None / TransmitFileOptions.UseDefaultWorkerThread (or left out).</summary>
    public bool FlagsAreDefault { get; }

    public bool IsAsync => Invocation.TargetMethod.Name.EndsWith("Async", System.StringComparison.Ordinal);

    /// <summary>A display name such as <c>Socket.SendAsync</c>.</summary>
    public string DisplayName => "Socket." + Invocation.TargetMethod.Name;

    public static SocketSend? Match(IInvocationOperation invocation, KnownTypes types)
    {
        if (invocation.Instance is null || !KnownTypes.Is(invocation.TargetMethod.ContainingType, types.Socket))
        {
            return null;
        }

        switch (invocation.TargetMethod.Name)
        {
            case "Send":
            case "SendAsync":
                foreach (IParameterSymbol parameter in invocation.TargetMethod.Parameters)
                {
                    if (parameter.Name is not ("buffer" or "socketFlags" or "cancellationToken"))
                    {
                        return null;
                    }
                }

                return OperationHelpers.Argument(invocation, "buffer") is null ? null : new SocketSend(invocation, SocketSendKind.Memory);

            case "SendFile":
            case "SendFileAsync":
                IArgumentOperation? path = OperationHelpers.Argument(invocation, "fileName");
                if (path is null || OperationHelpers.IsNullOrDefaultLiteral(path.Value))
                {
                    return null;
                }

                bool withBuffers = false;
                foreach (IParameterSymbol parameter in invocation.TargetMethod.Parameters)
                {
                    withBuffers |= parameter.Name == "preBuffer";
                }

                return new SocketSend(invocation, withBuffers ? SocketSendKind.FileWithBuffers : SocketSendKind.File);

            default:
                return null;
        }
    }

    /// <summary>
    /// Whether the code shows the socket is of a type the library does not send on: a local or field
    /// initialised in this file with <c>new Socket(..., SocketType.X, ...)</c> where X is not Stream.
    /// </summary>
    public bool IsKnownNonStreamSocket()
    {
        ISymbol? symbol = OperationHelpers.ReferencedSymbol(Socket);
        SemanticModel? model = Invocation.SemanticModel;
        if (symbol is not (ILocalSymbol or IFieldSymbol) || model is null)
        {
            return false;
        }

        foreach (SyntaxReference reference in symbol.DeclaringSyntaxReferences)
        {
            if (reference.SyntaxTree != model.SyntaxTree ||
                reference.GetSyntax() is not Microsoft.CodeAnalysis.CSharp.Syntax.VariableDeclaratorSyntax { Initializer.Value: { } value } ||
                model.GetOperation(value) is not { } created ||
                OperationHelpers.StripConversions(created) is not IObjectCreationOperation creation)
            {
                continue;
            }

            foreach (IArgumentOperation argument in creation.Arguments)
            {
                if (argument.Parameter?.Name == "socketType" && argument.Value.ConstantValue.HasValue &&
                    argument.Value.ConstantValue.Value is int socketType && socketType != 1)
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>Whether this send and <paramref name="other"/> go to the same socket variable.</summary>
    public bool SameSocketAs(SocketSend other)
    {
        ISymbol? mine = OperationHelpers.ReferencedSymbol(Socket);
        return mine is not null && SymbolEqualityComparer.Default.Equals(mine, OperationHelpers.ReferencedSymbol(other.Socket));
    }
}
