using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Simplification;
using ZeroCopy.Net.Analyzers;

namespace ZeroCopy.Net.CodeFixes;

/// <summary>
/// ZC0005, where the code shows the size: <c>byte[] b = ArrayPool&lt;byte&gt;.Shared.Rent(N)</c> with a constant N
/// from the zero-copy threshold to <c>PinnedBufferPool.MaxBufferSize</c>, filled, sent once with
/// <c>await socket.SendAsync(b.AsMemory(0, n))</c> and returned becomes
/// <code>
/// await using var zc = socket.AsZeroCopy();
/// var b = zc.RentBuffer(N);
/// ... b.Span / b.Memory where the array was written ...
/// await zc.SendPinnedAsync(b, n);
/// ... b.Dispose() where it was returned in a finally (a no-op once the send took it) ...
/// </code>
/// </summary>
/// <remarks>
/// Offered only where the rewrite provably keeps the program's behaviour: the array is used through
/// spans, memory, its indexer or its length and nowhere else; it is sent exactly once, from offset 0,
/// awaited in async code, not inside a loop below the rent; nothing touches it after the send but the
/// return. The wrapper lives until the end of the enclosing block and its disposal waits for the
/// kernel to release the pages (the fix title says so): a connection that sends many such buffers
/// gains most from one <c>ZeroCopySocket</c> kept for the connection (docs/analyzers.md, ZC0005).
/// </remarks>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(PinnedSendCodeFixProvider))]
[Shared]
public sealed class PinnedSendCodeFixProvider : ZeroCopyCodeFixProvider
{
    // PinnedBufferPool.MaxBufferSize: RentBuffer throws above it.
    private const int MaxBufferSize = 256 * 1024;

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.PooledArraySend);

    internal override FixPlan? Plan(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, KnownTypes types)
    {
        if (DiagnosedInvocation(root, diagnostic) is not { } rentNode ||
            model.GetOperation(rentNode) is not IInvocationOperation rent ||
            rent.Arguments.Length != 1 ||
            rent.Arguments[0].Value.ConstantValue is not { HasValue: true, Value: int size } ||
            size < MigrationAnalyzer.PinnedZeroCopyThreshold || size > MaxBufferSize ||
            rentNode.Parent is not EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax declarator } ||
            declarator.Parent is not VariableDeclarationSyntax { Variables.Count: 1 } ||
            declarator.Parent.Parent is not LocalDeclarationStatementSyntax declaration ||
            declaration.Parent is not BlockSyntax ||
            !declaration.Modifiers.Count.Equals(0) ||
            model.GetDeclaredSymbol(declarator) is not ILocalSymbol array)
        {
            return null;
        }

        SyntaxNode scope = declaration.Parent;
        var edits = new List<(SyntaxNode Node, SyntaxNode? Replacement)>();
        SendStatement? send = null;
        SocketSend? socketSend = null;
        string? sendLength = null;
        ExpressionStatementSyntax? returned = null;

        foreach (IdentifierNameSyntax name in scope.DescendantNodes().OfType<IdentifierNameSyntax>())
        {
            if (name.Identifier.ValueText != array.Name || name.SpanStart < declaration.Span.End ||
                !SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(name).Symbol, array) ||
                model.GetOperation(name) is not ILocalReferenceOperation reference)
            {
                continue;
            }

            Use kind = Classify(reference, types, out IOperation use);
            switch (kind)
            {
                case Use.Send when send is null && use is IInvocationOperation call &&
                                   call.Syntax is InvocationExpressionSyntax callNode &&
                                   SendStatement.Find(callNode) is { Awaited: true, InAsyncContext: true } statement &&
                                   SocketSend.Match(call, types) is { Kind: SocketSendKind.Memory, FlagsAreDefault: true, Buffer: { } buffer } match &&
                                   SentLength(buffer, reference) is { } length:
                    send = statement;
                    socketSend = match;
                    sendLength = length;
                    break;
                case Use.Return when returned is null && use.Syntax.Parent is ExpressionStatementSyntax returnStatement:
                    returned = returnStatement;
                    break;
                case Use.Span:
                    edits.Add((use.Syntax, Expression($"{array.Name}.Span", use.Syntax)));
                    break;
                case Use.Memory:
                    edits.Add((use.Syntax, Expression($"{array.Name}.Memory", use.Syntax)));
                    break;
                case Use.SpanSlice or Use.MemorySlice when use.Syntax is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax access } &&
                                                           access.Expression is IdentifierNameSyntax:
                    // Only the member access changes (frame.AsSpan → frame.Span.Slice): the arguments keep their own edits.
                    edits.Add((access, Expression($"{array.Name}.{(kind == Use.SpanSlice ? "Span" : "Memory")}.Slice", access)));
                    break;
                case Use.Element when use.Syntax is ElementAccessExpressionSyntax { Expression: IdentifierNameSyntax target }:
                    edits.Add((target, Expression($"{array.Name}.Span", target)));
                    break;
                case Use.Length:
                    edits.Add((use.Syntax, Expression($"{array.Name}.Capacity", use.Syntax)));
                    break;
                default:
                    return null; // a use the rewrite cannot carry over, a second send or a second return
            }
        }

        if (send is null || socketSend is null || sendLength is null || returned is null ||
            LoopBetween(declaration, send.Statement) ||
            !SocketInScope(socketSend.Socket, declaration) ||
            edits.Any(edit => edit.Node.SpanStart > send.Statement.SpanStart && !returned.Span.Contains(edit.Node.Span)))
        {
            return null;
        }

        // The return: in a finally of a try that holds the send it becomes Dispose (which does nothing once
        // the send took the buffer, and gives an unsent buffer back on an exception); straight after the
        // send in the same block, the send took the buffer and nothing is left to give back.
        SyntaxNode? returnReplacement;
        if (returned.Parent is BlockSyntax { Parent: FinallyClauseSyntax { Parent: TryStatementSyntax @try } } &&
            @try.Block.Span.Contains(send.Statement.Span) && @try.SpanStart > declaration.SpanStart)
        {
            returnReplacement = FixSyntax.Statement($"{array.Name}.Dispose();", returned);
        }
        else if (returned.Parent == send.Statement.Parent && returned.SpanStart > send.Statement.SpanStart)
        {
            returnReplacement = null;
        }
        else
        {
            return null;
        }

        // Fix All in a method with several rents: each wrapper needs its own name (counting rents already
        // fixed, so one at a time and all at once name them alike).
        bool severalRents = declaration.Ancestors().OfType<MemberDeclarationSyntax>().FirstOrDefault() is { } member &&
            member.DescendantNodes().OfType<InvocationExpressionSyntax>().Count(i => i.Expression is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Rent" or "RentBuffer" }) > 1;
        string zc = FixSyntax.UniqueLocalName(model, declaration.SpanStart, severalRents ? array.Name + "Socket" : "zc");
        string socket = FixSyntax.Text(socketSend.Socket);
        string token = socketSend.CancellationToken is { } ct && !OperationHelpers.IsNullOrDefaultLiteral(ct)
            ? ", " + FixSyntax.Text(ct)
            : string.Empty;
        StatementSyntax wrapper = FixSyntax.Statement($"await using var {zc} = {socket}.AsZeroCopy();", declaration)
            .WithTrailingTrivia(SyntaxFactory.ElasticCarriageReturnLineFeed);
        StatementSyntax rented = SyntaxFactory.ParseStatement($"var {array.Name} = {zc}.RentBuffer({FixSyntax.Text(rent.Arguments[0].Value)});")
            .WithTrailingTrivia(declaration.GetTrailingTrivia())
            .WithAdditionalAnnotations(Formatter.Annotation, Simplifier.Annotation);

        string pinnedCall = send.Complete($"{zc}.SendPinnedAsync({array.Name}, {sendLength}{token})");
        var plan = new List<(SyntaxNode Node, SyntaxNode? Replacement)>
        {
            (declaration, wrapper),
            (send.Statement, FixSyntax.Statement(pinnedCall + ";", send.Statement)),
            (returned, returnReplacement),
        };
        plan.AddRange(edits);
        return new FixPlan(
            "Rent a pinned buffer and send it with SendPinnedAsync (the wrapper lives to the end of the block; keep one per connection)",
            plan.ToArray())
        {
            InsertedAfter = new[] { ((SyntaxNode)declaration, (SyntaxNode)rented) },
        };
    }

    private enum Use
    {
        Other,
        Send,
        Return,
        Span,
        Memory,
        SpanSlice,
        MemorySlice,
        Element,
        Length,
    }

    /// <summary>What one read of the array does, and the operation the rewrite replaces (<paramref name="use"/>).</summary>
    private static Use Classify(ILocalReferenceOperation reference, KnownTypes types, out IOperation use)
    {
        use = reference;
        IOperation? parent = reference.Parent;
        if (parent is IArgumentOperation { Parent: IInvocationOperation invocation } argument)
        {
            use = invocation;
            if (invocation.TargetMethod.Name == "Return" &&
                SymbolEqualityComparer.Default.Equals(invocation.TargetMethod.ContainingType.OriginalDefinition, types.ArrayPool) &&
                invocation.Arguments[0] == argument &&
                (invocation.Arguments.Length == 1 || invocation.Arguments[1].ArgumentKind == ArgumentKind.DefaultValue))
            {
                return Use.Return; // Return(array), not Return(array, clearArray: true), which Dispose would not do
            }

            if (invocation.TargetMethod.IsExtensionMethod && invocation.Arguments[0] == argument &&
                invocation.TargetMethod.Name is "AsSpan" or "AsMemory" &&
                invocation.Arguments.Skip(1).All(a => a.Value.Type?.SpecialType == SpecialType.System_Int32))
            {
                if (Above(invocation) is IArgumentOperation { Parent: IInvocationOperation outer } && SocketSend.Match(outer, types) is not null)
                {
                    use = outer;
                    return Use.Send;
                }

                bool whole = invocation.Arguments.Length == 1;
                return invocation.TargetMethod.Name == "AsSpan"
                    ? (whole ? Use.Span : Use.SpanSlice)
                    : (whole ? Use.Memory : Use.MemorySlice);
            }

            // The array where a parameter takes a span or memory of bytes (the argument carries the implicit conversion).
            use = reference;
            return argument.Parameter?.Type is INamedTypeSymbol parameterType ? SpanOrMemory(parameterType) : Use.Other;
        }

        if (parent is IArgumentOperation { Parent: IObjectCreationOperation { Arguments.Length: 3 } segment } &&
            KnownTypes.Is(segment.Type?.OriginalDefinition, types.ArraySegment) &&
            Above(segment) is IArgumentOperation { Parent: IInvocationOperation segmentSend } &&
            SocketSend.Match(segmentSend, types) is not null)
        {
            use = segmentSend;
            return Use.Send;
        }

        if (parent is IArrayElementReferenceOperation element && element.ArrayReference == reference)
        {
            use = element;
            return Use.Element;
        }

        if (parent is IPropertyReferenceOperation { Property.Name: "Length" } length)
        {
            use = length;
            return Use.Length;
        }

        // An implicit conversion to a span or memory of bytes where a parameter takes one.
        if (parent is IConversionOperation { IsImplicit: true, Type: INamedTypeSymbol target } conversion)
        {
            use = conversion;
            return SpanOrMemory(target);
        }

        return Use.Other;
    }

    private static Use SpanOrMemory(INamedTypeSymbol type) => type.OriginalDefinition.ToDisplayString() switch
    {
        "System.Span<T>" or "System.ReadOnlySpan<T>" => Use.Span,
        "System.Memory<T>" or "System.ReadOnlyMemory<T>" => Use.Memory,
        _ => Use.Other,
    };

    /// <summary>The byte count of a send of <c>b.AsMemory(0, n)</c>, <c>b.AsSpan(0, n)</c> or <c>new ArraySegment&lt;byte&gt;(b, 0, n)</c>.</summary>
    private static string? SentLength(IOperation buffer, ILocalReferenceOperation reference)
    {
        IOperation value = OperationHelpers.StripConversions(buffer);
        ImmutableArray<IArgumentOperation> arguments = value switch
        {
            IInvocationOperation { TargetMethod.Name: "AsMemory" or "AsSpan", Arguments.Length: 3 } slice => slice.Arguments,
            IObjectCreationOperation { Arguments.Length: 3 } segment => segment.Arguments,
            _ => default,
        };
        if (arguments.IsDefault ||
            !SymbolEqualityComparer.Default.Equals(OperationHelpers.ReferencedSymbol(arguments[0].Value), reference.Local) ||
            arguments[1].Value.ConstantValue is not { HasValue: true, Value: 0 })
        {
            return null;
        }

        return FixSyntax.Text(arguments[2].Value);
    }

    /// <summary>The first parent of <paramref name="operation"/> that is not a conversion.</summary>
    private static IOperation? Above(IOperation operation)
    {
        IOperation? parent = operation.Parent;
        while (parent is IConversionOperation)
        {
            parent = parent.Parent;
        }

        return parent;
    }

    private static ExpressionSyntax Expression(string text, SyntaxNode replaced)
        => SyntaxFactory.ParseExpression(text).WithTriviaFrom(replaced).WithAdditionalAnnotations(Simplifier.Annotation);

    /// <summary>A loop below the rent and around the send would send the buffer more than once.</summary>
    private static bool LoopBetween(StatementSyntax declaration, StatementSyntax send)
        => send.Ancestors().TakeWhile(a => a != declaration.Parent).Any(a =>
            a is ForStatementSyntax or ForEachStatementSyntax or WhileStatementSyntax or DoStatementSyntax or AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax);

    /// <summary>The socket must be a parameter, a field, or a local declared before the rent (the wrapper is made there).</summary>
    private static bool SocketInScope(IOperation socket, StatementSyntax declaration)
    {
        return OperationHelpers.StripConversions(socket) switch
        {
            IParameterReferenceOperation => true,
            IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation } => true,
            ILocalReferenceOperation local => local.Local.Locations.All(l => l.SourceSpan.End <= declaration.SpanStart) && !local.Local.IsRef,
            _ => false,
        };
    }
}
