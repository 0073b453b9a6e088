using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using ZeroCopy.Net.Analyzers;

namespace ZeroCopy.Net.CodeFixes;

/// <summary>
/// ZC0003 and ZC0004: one <c>SendWithHeadersAsync</c> on a <c>ZeroCopySocket</c> wrapped around the socket for
/// this send (<c>await using (var zc = socket.AsZeroCopy())</c>; the wrapper does not own the socket).
/// </summary>
[ExportCodeFixProvider(Microsoft.CodeAnalysis.LanguageNames.CSharp, Name = nameof(SendWithHeadersCodeFixProvider))]
[Shared]
public sealed class SendWithHeadersCodeFixProvider : ZeroCopyCodeFixProvider
{
    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } =
        ImmutableArray.Create(DiagnosticIds.SendFileWithBuffers, DiagnosticIds.HeaderThenBody);

    internal override FixPlan? Plan(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, KnownTypes types)
    {
        if (DiagnosedInvocation(root, diagnostic) is not { } node || SendStatement.Find(node) is not { } send)
        {
            return null;
        }

        string title = send.InAsyncContext
            ? "Send with one SendWithHeadersAsync"
            : "Send with one SendWithHeadersAsync (waits for it, as the original calls did)";
        return diagnostic.Id == DiagnosticIds.SendFileWithBuffers
            ? FixSendFile(model, node, send, types, title)
            : FixHeaderThenBody(model, send, types, title);
    }

    private static FixPlan? FixSendFile(SemanticModel model, InvocationExpressionSyntax node, SendStatement send, KnownTypes types, string title)
    {
        if (model.GetOperation(node) is not IInvocationOperation invocation ||
            SocketSend.Match(invocation, types) is not { Kind: SocketSendKind.FileWithBuffers, FlagsAreDefault: true, PreBuffer: { } pre } socketSend ||
            (socketSend.IsAsync && !send.Awaited))
        {
            return null;
        }

        var arguments = new List<string>();
        if (OperationHelpers.IsNullOrDefaultLiteral(pre))
        {
            arguments.Add("System.ReadOnlyMemory<byte>.Empty");
        }
        else if (types.ConvertsToReadOnlyMemoryOfByte(OperationHelpers.StripConversions(pre).Type))
        {
            arguments.Add(FixSyntax.Text(OperationHelpers.StripConversions(pre)));
        }
        else
        {
            return null;
        }

        arguments.Add($"SendBody.FromFile({FixSyntax.Text(socketSend.Path!)})");
        bool hasTrailer = socketSend.PostBuffer is { } post && !OperationHelpers.IsNullOrDefaultLiteral(post);
        if (hasTrailer)
        {
            IOperation trailer = OperationHelpers.StripConversions(socketSend.PostBuffer!);
            if (!types.ConvertsToReadOnlyMemoryOfByte(trailer.Type))
            {
                return null;
            }

            arguments.Add(FixSyntax.Text(trailer));
        }

        string text = string.Join(", ", arguments) + SendFileCodeFixProvider.TokenArgument(socketSend.CancellationToken);
        return new FixPlan(title, (send.Statement, FixSyntax.WrappedSend(send, model, text, send.Statement, send.Statement)));
    }

    private static FixPlan? FixHeaderThenBody(SemanticModel model, SendStatement first, KnownTypes types, string title)
    {
        if (first.Statement.Parent is not BlockSyntax block)
        {
            return null;
        }

        int index = block.Statements.IndexOf(first.Statement);
        if (index < 0 || index + 1 >= block.Statements.Count || block.Statements[index + 1] is not ExpressionStatementSyntax secondStatement ||
            model.GetOperation(first.Statement) is not { } firstOperation ||
            model.GetOperation(secondStatement) is not { } secondOperation ||
            HeaderThenBodySends.Match(firstOperation, secondOperation, types) is not { } pair ||
            (pair.Header.IsAsync && !first.Awaited))
        {
            return null;
        }

        if (pair.Body.Invocation.Syntax is not InvocationExpressionSyntax bodyNode || SendStatement.Find(bodyNode) is not { } second ||
            (pair.Body.IsAsync && !second.Awaited))
        {
            return null;
        }

        IOperation header = OperationHelpers.StripConversions(pair.Header.Buffer!);
        if (!types.ConvertsToReadOnlyMemoryOfByte(header.Type))
        {
            return null;
        }

        string body;
        if (pair.File is { Declaration: null } file)
        {
            body = $"SendBody.FromFile({FixSyntax.Text(file.Path)})";
        }
        else
        {
            IOperation memory = OperationHelpers.StripConversions(pair.Body.Buffer!);
            if (!types.ConvertsToReadOnlyMemoryOfByte(memory.Type))
            {
                return null;
            }

            body = $"SendBody.FromMemory({FixSyntax.Text(memory)})";
        }

        string text = $"{FixSyntax.Text(header)}, {body}" + SendFileCodeFixProvider.TokenArgument(pair.CancellationToken);
        StatementSyntax replacement = FixSyntax.WrappedSend(second.ConfigureAwait is null ? first : second, model, text, first.Statement, secondStatement);
        return new FixPlan(title, (first.Statement, replacement), (secondStatement, null));
    }
}
