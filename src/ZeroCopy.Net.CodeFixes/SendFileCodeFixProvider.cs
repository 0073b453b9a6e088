using System.Collections.Immutable;
using System.Composition;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using ZeroCopy.Net.Analyzers;

namespace ZeroCopy.Net.CodeFixes;

/// <summary>
/// ZC0001 and ZC0002: rewrites the send as <c>socket.SendFileZeroCopyAsync(...)</c>, awaited in async
/// code and waited on (<c>.AsTask().GetAwaiter().GetResult()</c>) elsewhere, as the original call blocked.
/// </summary>
[ExportCodeFixProvider(Microsoft.CodeAnalysis.LanguageNames.CSharp, Name = nameof(SendFileCodeFixProvider))]
[Shared]
public sealed class SendFileCodeFixProvider : ZeroCopyCodeFixProvider
{
    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } =
        ImmutableArray.Create(DiagnosticIds.SendWholeFile, DiagnosticIds.CopyFileToNetworkStream);

    internal override FixPlan? Plan(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, KnownTypes types)
    {
        if (DiagnosedInvocation(root, diagnostic) is not { } node ||
            model.GetOperation(node) is not IInvocationOperation invocation ||
            SendStatement.Find(node) is not { } send)
        {
            return null;
        }

        SyntaxNode? removed = null;
        string? rewritten = diagnostic.Id == DiagnosticIds.SendWholeFile
            ? RewriteWholeFile(invocation, send, types, out removed)
            : RewriteCopy(invocation, send, types);
        if (rewritten is null)
        {
            return null;
        }

        string title = send.InAsyncContext
            ? "Send with SendFileZeroCopyAsync"
            : "Send with SendFileZeroCopyAsync (waits for it, as the original call did)";
        return removed is null
            ? new FixPlan(title, (send.Statement, FixSyntax.Statement(rewritten + ";", send.Statement)))
            : new FixPlan(title, (send.Statement, FixSyntax.Statement(rewritten + ";", removed, send.Statement)), (removed, null));
    }

    /// <summary>
    /// The rewritten send; <paramref name="removed"/> is the local's declaration (<c>var bytes = File.ReadAllBytes(path);</c>)
    /// when the send read a local, which the fix removes only when it is the statement just before the send
    /// (so the file is still read, now sent, at the same point).
    /// </summary>
    private static string? RewriteWholeFile(IInvocationOperation invocation, SendStatement send, KnownTypes types, out SyntaxNode? removed)
    {
        removed = null;
        if (SocketSend.Match(invocation, types) is not { } socketSend || WholeFileSend.Match(socketSend, types) is not { } file ||
            (socketSend.IsAsync && !send.Awaited))
        {
            return null;
        }

        if (file.Declaration is { } declaration)
        {
            if (declaration.Syntax.Parent?.Parent is not LocalDeclarationStatementSyntax { Declaration.Variables.Count: 1 } statement ||
                statement.Parent is not BlockSyntax block ||
                block.Statements.IndexOf(statement) + 1 != block.Statements.IndexOf(send.Statement))
            {
                return null;
            }

            removed = statement;
        }

        return send.Complete($"{send.Receiver}.SendFileZeroCopyAsync({FixSyntax.Text(file.Path)}{TokenArgument(file.CancellationToken)})");
    }

    /// <summary>
    /// <c>file.Position += socket.SendFileZeroCopyAsync(file.SafeFileHandle, file.Position)</c>: from the stream's
    /// position to its end, and the position moves past what was sent, as CopyTo left it.
    /// </summary>
    private static string? RewriteCopy(IInvocationOperation invocation, SendStatement send, KnownTypes types)
    {
        if (FileCopyToNetwork.Match(invocation, types) is not { CanFix: true } copy ||
            (copy.IsAsync && !send.Awaited) ||
            copy.Source.Syntax is not (IdentifierNameSyntax or MemberAccessExpressionSyntax { Expression: IdentifierNameSyntax or ThisExpressionSyntax }))
        {
            return null;
        }

        string file = FixSyntax.Text(copy.Source);
        string socket = copy.SocketFromConstructor is { } fromConstructor
            ? FixSyntax.Text(fromConstructor)
            : FixSyntax.Text(copy.Destination) + ".Socket";
        return $"{file}.Position += " +
               send.Complete($"{socket}.SendFileZeroCopyAsync({file}.SafeFileHandle, {file}.Position{TokenArgument(copy.CancellationToken)})");
    }

    internal static string TokenArgument(IOperation? token) =>
        token is null ? string.Empty : ", cancellationToken: " + FixSyntax.Text(token);
}
