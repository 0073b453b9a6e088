using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ZeroCopy.Net.Analyzers;

/// <summary>ZC0001-ZC0006: existing socket sends that ZeroCopy.Net sends better (docs/analyzers.md).</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class MigrationAnalyzer : ZeroCopyAnalyzer
{
    /// <summary>ZeroCopySocketOptions.DefaultPinnedZeroCopyThreshold: below it SendPinnedAsync copies, as Socket.SendAsync does.</summary>
    internal const int PinnedZeroCopyThreshold = 32 * 1024;

    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        Descriptors.SendWholeFile,
        Descriptors.CopyFileToNetworkStream,
        Descriptors.SendFileWithBuffers,
        Descriptors.HeaderThenBody,
        Descriptors.PooledArraySend,
        Descriptors.PipeWriterOverNetworkStream);

    internal override void Register(CompilationStartAnalysisContext context, KnownTypes types)
    {
        context.RegisterOperationAction(c => AnalyzeInvocation(c, types), OperationKind.Invocation);
        context.RegisterOperationAction(c => AnalyzeBlock(c, types), OperationKind.Block);
    }

    private static void AnalyzeInvocation(OperationAnalysisContext context, KnownTypes types)
    {
        var invocation = (IInvocationOperation)context.Operation;
        if (SocketSend.Match(invocation, types) is { } send)
        {
            if (send.IsKnownNonStreamSocket())
            {
                return;
            }

            if (WholeFileSend.Match(send, types) is { } wholeFile)
            {
                context.ReportDiagnostic(Diagnostic.Create(
                    Descriptors.SendWholeFile, invocation.Syntax.GetLocation(), send.DisplayName, wholeFile.Path.Syntax.ToString()));
            }
            else if (send.Kind == SocketSendKind.FileWithBuffers)
            {
                context.ReportDiagnostic(Diagnostic.Create(Descriptors.SendFileWithBuffers, invocation.Syntax.GetLocation(), send.DisplayName));
            }

            return;
        }

        if (FileCopyToNetwork.Match(invocation, types) is not null)
        {
            context.ReportDiagnostic(Diagnostic.Create(
                Descriptors.CopyFileToNetworkStream, invocation.Syntax.GetLocation(), "Stream." + invocation.TargetMethod.Name));
            return;
        }

        if (invocation.TargetMethod.Name == "Create" && invocation.TargetMethod.ContainingType is { } creator &&
            SymbolEqualityComparer.Default.Equals(creator, types.PipeWriter) &&
            OperationHelpers.Argument(invocation, "stream") is { } stream &&
            KnownTypes.Is(OperationHelpers.StripConversions(stream.Value).Type, types.NetworkStream))
        {
            context.ReportDiagnostic(Diagnostic.Create(Descriptors.PipeWriterOverNetworkStream, invocation.Syntax.GetLocation()));
            return;
        }

        AnalyzeRent(context, invocation, types);
    }

    private static void AnalyzeBlock(OperationAnalysisContext context, KnownTypes types)
    {
        ImmutableArray<IOperation> statements = ((IBlockOperation)context.Operation).Operations;
        for (int i = 0; i + 1 < statements.Length; i++)
        {
            if (HeaderThenBodySends.Match(statements[i], statements[i + 1], types) is { } pair && !pair.Header.IsKnownNonStreamSocket())
            {
                context.ReportDiagnostic(Diagnostic.Create(
                    Descriptors.HeaderThenBody,
                    pair.Header.Invocation.Syntax.GetLocation(),
                    additionalLocations: new[] { pair.Body.Invocation.Syntax.GetLocation() },
                    pair.Header.Socket.Syntax.ToString()));
            }
        }
    }

    /// <summary>ZC0005: <c>byte[] b = ArrayPool&lt;byte&gt;.Shared.Rent(n)</c>, b sent on a socket and returned, with n not shown to be small.</summary>
    private static void AnalyzeRent(OperationAnalysisContext context, IInvocationOperation rent, KnownTypes types)
    {
        if (rent.TargetMethod.Name != "Rent" ||
            !SymbolEqualityComparer.Default.Equals(rent.TargetMethod.ContainingType.OriginalDefinition, types.ArrayPool) ||
            rent.TargetMethod.ContainingType.TypeArguments.Length != 1 ||
            rent.TargetMethod.ContainingType.TypeArguments[0].SpecialType != SpecialType.System_Byte ||
            rent.Arguments.Length != 1)
        {
            return;
        }

        ILocalSymbol? array = rent.Parent switch
        {
            IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator } => declarator.Symbol,
            ISimpleAssignmentOperation { Target: ILocalReferenceOperation local } => local.Local,
            _ => null,
        };
        if (array is null)
        {
            return;
        }

        object? size = rent.Arguments[0].Value.ConstantValue.HasValue ? rent.Arguments[0].Value.ConstantValue.Value : null;
        if (size is int known && known < PinnedZeroCopyThreshold)
        {
            return;
        }

        bool sent = false;
        bool returned = false;
        foreach (IInvocationOperation call in OperationHelpers.Invocations(OperationHelpers.Root(rent)))
        {
            if (SocketSend.Match(call, types) is { Kind: SocketSendKind.Memory, Buffer: { } buffer } && ReadsArray(buffer, array))
            {
                sent = true;
            }
            else if (call.TargetMethod.Name == "Return" &&
                     SymbolEqualityComparer.Default.Equals(call.TargetMethod.ContainingType.OriginalDefinition, types.ArrayPool) &&
                     call.Arguments.Length > 0 && SymbolEqualityComparer.Default.Equals(OperationHelpers.ReferencedSymbol(call.Arguments[0].Value), array))
            {
                returned = true;
            }
        }

        if (sent && returned)
        {
            string sizeText = size is int n ? $"{n} bytes" : "a size not known here";
            context.ReportDiagnostic(Diagnostic.Create(Descriptors.PooledArraySend, rent.Syntax.GetLocation(), array.Name, sizeText));
        }
    }

    /// <summary>Whether a send's buffer is the array, a slice of it (AsMemory/AsSpan/ArraySegment) or the array itself converted.</summary>
    private static bool ReadsArray(IOperation buffer, ILocalSymbol array)
    {
        IOperation value = OperationHelpers.StripConversions(buffer);
        if (value is IInvocationOperation { TargetMethod.Name: "AsMemory" or "AsSpan" } slice && slice.Arguments.Length > 0)
        {
            value = slice.Arguments[0].Value;
        }
        else if (value is IObjectCreationOperation { Arguments.Length: > 0 } creation)
        {
            value = creation.Arguments[0].Value;
        }

        return SymbolEqualityComparer.Default.Equals(OperationHelpers.ReferencedSymbol(value), array);
    }
}
