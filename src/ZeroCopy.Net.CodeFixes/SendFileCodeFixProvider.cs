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

        string? rewritten = diagnostic.Id == DiagnosticIds.SendWholeFile
            ? RewriteWholeFile(invocation, send, types)
            : RewriteCopy(invocation, send, types);
        if (rewritten is null)
        {
            return null;
        }

        string title = send.InAsyncContext
            ? "Send with SendFileZeroCopyAsync"
            : "Send with SendFileZeroCopyAsync (waits for it, as the original call did)";
        return new FixPlan(title, (send.Statement, FixSyntax.Statement(rewritten + ";", send.Statement)));
    }

    private static string? RewriteWholeFile(IInvocationOperation invocation, SendStatement send, KnownTypes types)
    {
        if (SocketSend.Match(invocation, types) is not { } socketSend || WholeFileSend.Match(socketSend, types) is not { } file ||
            (socketSend.IsAsync && !send.Awaited))
        {
            return null;
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
