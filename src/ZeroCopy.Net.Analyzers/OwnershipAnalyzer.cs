using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ZeroCopy.Net.Analyzers;

/// <summary>
/// ZC0010-ZC0012: the ownership contract of SendPinnedAsync, where the control flow graph of one
/// method shows a mistake (docs/analyzers.md).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class OwnershipAnalyzer : ZeroCopyAnalyzer
{
    private static readonly HashSet<string> s_spanMutators = new() { "Fill", "Clear", "Reverse", "Sort" };

    private static readonly HashSet<string> s_arrayWriters = new()
    {
        "Fill", "Clear", "Read", "ReadAsync", "ReadAtLeast", "ReadAtLeastAsync", "ReadExactly", "ReadExactlyAsync",
        "Receive", "ReceiveAsync", "ReceiveFrom", "ReceiveFromAsync", "GetBytes", "GetNonZeroBytes", "NextBytes",
    };

    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        Descriptors.PinnedBufferUsedAfterSend,
        Descriptors.PinnedBufferMemorySent,
        Descriptors.CallerMemoryWrittenBeforeRelease);

    internal override void Register(CompilationStartAnalysisContext context, KnownTypes types)
    {
        if (types.PinnedBuffer is null)
        {
            return;
        }

        context.RegisterOperationAction(c => AnalyzeMemorySend(c, types), OperationKind.Invocation);
        context.RegisterOperationAction(c => AnalyzeBody(c, types), OperationKind.MethodBody, OperationKind.ConstructorBody);
    }

    /// <summary>ZC0011: SendPinnedAsync(buffer.Memory[...]) with a PinnedBuffer's memory.</summary>
    private static void AnalyzeMemorySend(OperationAnalysisContext context, KnownTypes types)
    {
        var invocation = (IInvocationOperation)context.Operation;
        if (!IsSendPinned(invocation, types, out bool takesBuffer) || takesBuffer || invocation.Arguments.Length == 0)
        {
            return;
        }

        foreach (IOperation node in invocation.Arguments[0].Value.DescendantsAndSelf())
        {
            if (node is IPropertyReferenceOperation { Property.Name: "Memory", Instance: { } owner } &&
                SymbolEqualityComparer.Default.Equals(owner.Type, types.PinnedBuffer))
            {
                context.ReportDiagnostic(Diagnostic.Create(
                    Descriptors.PinnedBufferMemorySent, invocation.Arguments[0].Syntax.GetLocation(), owner.Syntax.ToString()));
                return;
            }
        }
    }

    private static void AnalyzeBody(OperationAnalysisContext context, KnownTypes types)
    {
        bool relevant = false;
        foreach (IInvocationOperation invocation in OperationHelpers.Invocations(context.Operation))
        {
            relevant |= IsSendPinned(invocation, types, out _) || IsFromPinned(invocation, types);
        }

        if (!relevant)
        {
            return;
        }

        var reported = new HashSet<SyntaxNode>();
        OwnershipFlow.Analyze(
            context.GetControlFlowGraph(),
            node => Classify(node, types),
            (use, taker) =>
            {
                if (reported.Add(use.Operation.Syntax))
                {
                    context.ReportDiagnostic(Diagnostic.Create(use.Rule!, use.Operation.Syntax.GetLocation(), use.Symbol.Name, taker));
                }
            });
    }

    private static bool IsSendPinned(IInvocationOperation invocation, KnownTypes types, out bool takesBuffer)
    {
        takesBuffer = false;
        if (invocation.TargetMethod.Name != "SendPinnedAsync" ||
            !SymbolEqualityComparer.Default.Equals(invocation.TargetMethod.ContainingType, types.ZeroCopySocket) ||
            invocation.TargetMethod.Parameters.Length == 0)
        {
            return false;
        }

        ITypeSymbol first = invocation.TargetMethod.Parameters[0].Type;
        takesBuffer = SymbolEqualityComparer.Default.Equals(first, types.PinnedBuffer) ||
                      (first is INamedTypeSymbol { TypeArguments.Length: 1 } span && SymbolEqualityComparer.Default.Equals(span.TypeArguments[0], types.PinnedBuffer));
        return true;
    }

    private static bool IsFromPinned(IInvocationOperation invocation, KnownTypes types) =>
        invocation.TargetMethod.Name == "FromPinned" && SymbolEqualityComparer.Default.Equals(invocation.TargetMethod.ContainingType, types.SendBody);

    private static IEnumerable<FlowEvent> Classify(IOperation node, KnownTypes types)
    {
        switch (node)
        {
            case IInvocationOperation invocation:
                return ClassifyInvocation(invocation, types);

            case ILocalReferenceOperation or IParameterReferenceOperation or IFieldReferenceOperation when IsAssignmentTarget(node) &&
                OperationHelpers.ReferencedSymbol(node) is { } assigned:
                return new[] { new FlowEvent(FlowEventKind.Reassign, assigned, node, node.Parent!.Syntax.Span.End) };

            case ILocalReferenceOperation or IParameterReferenceOperation when
                SymbolEqualityComparer.Default.Equals(node.Type, types.PinnedBuffer) && IsUseOfBuffer(node, types):
                return new[] { new FlowEvent(FlowEventKind.Use, OperationHelpers.ReferencedSymbol(node)!, node, node.Syntax.SpanStart, rule: Descriptors.PinnedBufferUsedAfterSend) };

            case IPropertyReferenceOperation { Property.Name: "WhenReleased", Instance: { } release } when
                SymbolEqualityComparer.Default.Equals(release.Type, types.PinnedMemoryRelease) && OperationHelpers.ReferencedSymbol(release) is { } key:
                return new[] { new FlowEvent(FlowEventKind.Release, key, node, node.Syntax.Span.End) };

            case ISimpleAssignmentOperation or ICompoundAssignmentOperation or IIncrementOrDecrementOperation or ICoalesceAssignmentOperation:
                IOperation target = node switch
                {
                    IAssignmentOperation assignment => assignment.Target,
                    IIncrementOrDecrementOperation increment => increment.Target,
                    _ => node,
                };
                if (target is IArrayElementReferenceOperation or IPropertyReferenceOperation { Property.IsIndexer: true } && MemoryRoot(target) is { } written)
                {
                    return new[] { Write(written, node) };
                }

                break;
        }

        return System.Array.Empty<FlowEvent>();
    }

    private static List<FlowEvent> ClassifyInvocation(IInvocationOperation invocation, KnownTypes types)
    {
        var events = new List<FlowEvent>();
        int end = invocation.Syntax.Span.End;
        if (IsSendPinned(invocation, types, out bool takesBuffer) && invocation.Arguments.Length > 0)
        {
            IOperation argument = OperationHelpers.StripConversions(invocation.Arguments[0].Value);
            if (takesBuffer)
            {
                IEnumerable<IOperation> buffers = argument is IArrayCreationOperation { Initializer: { } initializer }
                    ? initializer.ElementValues
                    : new[] { argument };
                foreach (IOperation buffer in buffers)
                {
                    AddTake(events, buffer, invocation, "SendPinnedAsync");
                }
            }
            else if (MemoryRoot(argument) is { } memory && !ReleaseAwaitedAtOnce(invocation, out ISymbol? key))
            {
                events.Add(new FlowEvent(FlowEventKind.Take, memory, invocation, end, key, "SendPinnedAsync"));
            }

            return events;
        }

        // SendBody.FromPinned hands the buffer over only when the send it is an argument of starts: a body kept in a
        // variable and never sent leaves the buffer with the caller.
        if (IsFromPinned(invocation, types) && invocation.Parent is IArgumentOperation { Parent: IInvocationOperation } &&
            OperationHelpers.Argument(invocation, "buffer") is { } pinned)
        {
            AddTake(events, pinned.Value, invocation, "SendBody.FromPinned");
            return events;
        }

        string name = invocation.TargetMethod.Name;
        if (name is "AsMemory" or "AsSpan" or "Slice")
        {
            return events;
        }

        if (invocation.Instance is { } instance && s_spanMutators.Contains(name) && MemoryRoot(instance) is { } mutated)
        {
            events.Add(Write(mutated, invocation));
        }

        foreach (IArgumentOperation argument in invocation.Arguments)
        {
            if (argument.Parameter is { } parameter && IsWritableParameter(parameter, name, types) && MemoryRoot(argument.Value) is { } filled)
            {
                events.Add(Write(filled, invocation));
            }
        }

        return events;
    }

    /// <summary>Sending a buffer uses it (a second send of a taken buffer is a mistake), then takes it.</summary>
    private static void AddTake(List<FlowEvent> events, IOperation buffer, IInvocationOperation send, string taker)
    {
        if (OperationHelpers.ReferencedSymbol(buffer) is ILocalSymbol or IParameterSymbol)
        {
            ISymbol symbol = OperationHelpers.ReferencedSymbol(buffer)!;
            IOperation reference = OperationHelpers.StripConversions(buffer);
            events.Add(new FlowEvent(FlowEventKind.Use, symbol, reference, reference.Syntax.SpanStart, rule: Descriptors.PinnedBufferUsedAfterSend));
            events.Add(new FlowEvent(FlowEventKind.Take, symbol, send, send.Syntax.Span.End, taker: taker));
        }
    }

    private static FlowEvent Write(ISymbol memory, IOperation operation) =>
        new(FlowEventKind.Use, memory, operation, operation.Syntax.SpanStart, rule: Descriptors.CallerMemoryWrittenBeforeRelease);

    private static bool IsWritableParameter(IParameterSymbol parameter, string method, KnownTypes types)
    {
        ITypeSymbol type = parameter.Type;
        if (SymbolEqualityComparer.Default.Equals(type.OriginalDefinition, types.Span) ||
            SymbolEqualityComparer.Default.Equals(type.OriginalDefinition, types.Memory))
        {
            return true;
        }

        bool array = type is IArrayTypeSymbol || type.SpecialType == SpecialType.System_Array || SymbolEqualityComparer.Default.Equals(type.OriginalDefinition, types.ArraySegment);
        return array && (s_arrayWriters.Contains(method) || parameter.Name.IndexOf("destination", System.StringComparison.OrdinalIgnoreCase) >= 0);
    }

    /// <summary>Whether the send's release is used on the spot (<c>(await zc.SendPinnedAsync(m)).WhenReleased</c>); else the local it goes to.</summary>
    private static bool ReleaseAwaitedAtOnce(IInvocationOperation send, out ISymbol? key)
    {
        key = null;
        IOperation current = send;
        while (current.Parent is { } parent)
        {
            switch (parent)
            {
                case IConversionOperation or IParenthesizedOperation or IAwaitOperation:
                case IInvocationOperation { TargetMethod.Name: "ConfigureAwait" } configure when configure.Instance == current:
                    current = parent;
                    continue;
                case IPropertyReferenceOperation { Property.Name: "WhenReleased" }:
                    return true;
                case ISimpleAssignmentOperation assignment when assignment.Value == current:
                    key = OperationHelpers.ReferencedSymbol(assignment.Target);
                    return false;
                case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator }:
                    key = declarator.Symbol;
                    return false;
                default:
                    return false;
            }
        }

        return false;
    }

    private static bool IsAssignmentTarget(IOperation node) =>
        node.Parent is ISimpleAssignmentOperation assignment && assignment.Target == node;

    /// <summary>A read of a PinnedBuffer that needs it owned (not IsOwned/Pool/equality, not the send's own argument).</summary>
    private static bool IsUseOfBuffer(IOperation reference, KnownTypes types)
    {
        switch (reference.Parent)
        {
            case IPropertyReferenceOperation { Property.Name: "IsOwned" or "Pool" }:
            case IBinaryOperation:
            case IInvocationOperation { TargetMethod.Name: "Equals" or "GetHashCode" }:
                return false;
        }

        for (IOperation? ancestor = reference.Parent; ancestor is not null; ancestor = ancestor.Parent)
        {
            if (ancestor is IInvocationOperation invocation && (IsSendPinned(invocation, types, out _) || IsFromPinned(invocation, types)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The array, Memory or field/local/parameter the memory expression is a view of.</summary>
    private static ISymbol? MemoryRoot(IOperation operation)
    {
        IOperation current = operation;
        while (true)
        {
            current = OperationHelpers.StripConversions(current);
            switch (current)
            {
                case ILocalReferenceOperation or IParameterReferenceOperation or IFieldReferenceOperation:
                    ISymbol? symbol = OperationHelpers.ReferencedSymbol(current);
                    return current.Type is IArrayTypeSymbol or INamedTypeSymbol { Name: "Memory" or "ReadOnlyMemory" or "ArraySegment" } ? symbol : null;
                case IInvocationOperation { TargetMethod.Name: "AsMemory" or "AsSpan" or "Slice" } view:
                    if (view.Instance is { } viewInstance)
                    {
                        current = viewInstance;
                    }
                    else if (view.Arguments.Length > 0)
                    {
                        current = view.Arguments[0].Value;
                    }
                    else
                    {
                        return null;
                    }

                    break;
                case IPropertyReferenceOperation { Property.Name: "Span", Instance: { } memory }:
                    current = memory;
                    break;
                case IPropertyReferenceOperation { Property.IsIndexer: true, Instance: { } indexed }:
                    current = indexed;
                    break;
                case IImplicitIndexerReferenceOperation implicitIndexer:
                    current = implicitIndexer.Instance;
                    break;
                case IArrayElementReferenceOperation element:
                    current = element.ArrayReference;
                    break;
                case IObjectCreationOperation { Arguments.Length: > 0 } creation:
                    current = creation.Arguments[0].Value;
                    break;
                default:
                    return null;
            }
        }
    }
}
