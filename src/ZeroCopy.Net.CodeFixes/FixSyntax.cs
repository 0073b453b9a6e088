using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Simplification;

namespace ZeroCopy.Net.CodeFixes;

/// <summary>The statement a fix rewrites: an expression statement whose value is the send (awaited, maybe with ConfigureAwait).</summary>
internal sealed class SendStatement
{
    private SendStatement(ExpressionStatementSyntax statement, InvocationExpressionSyntax invocation, ExpressionSyntax? configureAwait, bool awaited)
    {
        Statement = statement;
        Invocation = invocation;
        ConfigureAwait = configureAwait;
        Awaited = awaited;
    }

    public ExpressionStatementSyntax Statement { get; }

    public InvocationExpressionSyntax Invocation { get; }

    /// <summary>The argument of a <c>.ConfigureAwait(x)</c> the send was awaited with.</summary>
    public ExpressionSyntax? ConfigureAwait { get; }

    public bool Awaited { get; }

    /// <summary>
    /// Whether the rewrite may <c>await</c>: the enclosing method, local function or lambda is async.
    /// Elsewhere the fix blocks (<c>.AsTask().GetAwaiter().GetResult()</c>), as the synchronous send did.
    /// </summary>
    public bool InAsyncContext
    {
        get
        {
            foreach (SyntaxNode ancestor in Statement.Ancestors())
            {
                switch (ancestor)
                {
                    case LockStatementSyntax:
                        return false; // no await inside a lock
                    case MethodDeclarationSyntax method:
                        return method.Modifiers.Any(SyntaxKind.AsyncKeyword);
                    case LocalFunctionStatementSyntax local:
                        return local.Modifiers.Any(SyntaxKind.AsyncKeyword);
                    case AnonymousFunctionExpressionSyntax lambda:
                        return lambda.AsyncKeyword.IsKind(SyntaxKind.AsyncKeyword);
                    case MemberDeclarationSyntax:
                        return false;
                }
            }

            return false;
        }
    }

    public static SendStatement? Find(InvocationExpressionSyntax invocation)
    {
        SyntaxNode current = invocation;
        ExpressionSyntax? configureAwait = null;
        if (current.Parent is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "ConfigureAwait" } member &&
            member.Parent is InvocationExpressionSyntax { ArgumentList.Arguments.Count: 1 } configure)
        {
            configureAwait = configure.ArgumentList.Arguments[0].Expression;
            current = configure;
        }

        bool awaited = false;
        if (current.Parent is AwaitExpressionSyntax awaitExpression)
        {
            awaited = true;
            current = awaitExpression;
        }
        else if (configureAwait is not null)
        {
            return null;
        }

        return current.Parent is ExpressionStatementSyntax statement && invocation.Expression is MemberAccessExpressionSyntax
            ? new SendStatement(statement, invocation, configureAwait, awaited)
            : null;
    }

    /// <summary>The socket expression the send was called on.</summary>
    public ExpressionSyntax Receiver => ((MemberAccessExpressionSyntax)Invocation.Expression).Expression;

    /// <summary><c>await call[.ConfigureAwait(x)]</c> in an async context, else <c>call.AsTask().GetAwaiter().GetResult()</c>.</summary>
    public string Complete(string call) => InAsyncContext
        ? "await " + call + (ConfigureAwait is null ? string.Empty : $".ConfigureAwait({ConfigureAwait})")
        : call + ".AsTask().GetAwaiter().GetResult()";
}

internal static class FixSyntax
{
    public const string LibraryNamespace = "ZeroCopy.Net";

    /// <summary>Parses a rewritten statement, to be formatted and simplified by the code action.</summary>
    public static StatementSyntax Statement(string text, SyntaxNode first, SyntaxNode? last = null)
    {
        last ??= first;
        SyntaxTriviaList leading = first.GetLeadingTrivia();
        if (last != first)
        {
            // Comments after the first statement and before the last move above the new one, each on its own line.
            SyntaxTrivia indentation = leading.LastOrDefault(t => t.IsKind(SyntaxKind.WhitespaceTrivia));
            SyntaxTrivia newLine = first.GetTrailingTrivia().FirstOrDefault(t => t.IsKind(SyntaxKind.EndOfLineTrivia));
            if (newLine.IsKind(SyntaxKind.None))
            {
                newLine = SyntaxFactory.ElasticCarriageReturnLineFeed;
            }

            foreach (SyntaxTrivia trivia in first.GetTrailingTrivia().Concat(last.GetLeadingTrivia()))
            {
                if (trivia.IsKind(SyntaxKind.SingleLineCommentTrivia) || trivia.IsKind(SyntaxKind.MultiLineCommentTrivia))
                {
                    leading = leading.Add(trivia).Add(newLine);
                    if (!indentation.IsKind(SyntaxKind.None))
                    {
                        leading = leading.Add(indentation);
                    }
                }
            }
        }

        return SyntaxFactory.ParseStatement(text)
            .WithLeadingTrivia(leading)
            .WithTrailingTrivia(last.GetTrailingTrivia())
            .WithAdditionalAnnotations(Formatter.Annotation, Simplifier.Annotation);
    }

    /// <summary>Adds <c>using ZeroCopy.Net;</c> unless the file (or its namespace) already has it.</summary>
    public static SyntaxNode AddLibraryUsing(SyntaxNode root)
    {
        if (root is not CompilationUnitSyntax unit ||
            unit.DescendantNodes(n => n is CompilationUnitSyntax or BaseNamespaceDeclarationSyntax)
                .OfType<UsingDirectiveSyntax>()
                .Any(u => u.Alias is null && u.StaticKeyword.IsKind(SyntaxKind.None) && u.Name?.ToString() == LibraryNamespace))
        {
            return root;
        }

        UsingDirectiveSyntax directive = SyntaxFactory.UsingDirective(SyntaxFactory.ParseName(LibraryNamespace))
            .WithTrailingTrivia(SyntaxFactory.ElasticCarriageReturnLineFeed);
        int index = 0;
        while (index < unit.Usings.Count && IsBefore(unit.Usings[index]))
        {
            index++;
        }

        if (index == unit.Usings.Count && unit.Usings.Count > 0)
        {
            directive = directive.WithTrailingTrivia(unit.Usings[unit.Usings.Count - 1].GetTrailingTrivia());
        }

        return unit.WithUsings(unit.Usings.Insert(index, directive.WithAdditionalAnnotations(Formatter.Annotation)));
    }

    private static bool IsBefore(UsingDirectiveSyntax existing)
    {
        string name = existing.Name?.ToString() ?? string.Empty;
        return existing.Alias is null && existing.StaticKeyword.IsKind(SyntaxKind.None) &&
               (name == "System" || name.StartsWith("System.", System.StringComparison.Ordinal) || string.CompareOrdinal(name, LibraryNamespace) < 0);
    }

    /// <summary>A name for the wrapper local that no symbol in scope at <paramref name="position"/> uses.</summary>
    public static string UniqueLocalName(SemanticModel model, int position, string baseName)
    {
        string name = baseName;
        for (int i = 1; model.LookupSymbols(position, name: name).Length > 0; i++)
        {
            name = baseName + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return name;
    }

    /// <summary>
    /// <c>await using (var zc = socket.AsZeroCopy()) { await zc.SendWithHeadersAsync(...); }</c> (or <c>using</c>
    /// and a blocking wait outside async code): the wrapper lives only for this send and leaves the socket open.
    /// </summary>
    public static StatementSyntax WrappedSend(SendStatement send, SemanticModel model, string sendArguments, SyntaxNode replacedFirst, SyntaxNode replacedLast)
    {
        string zc = UniqueLocalName(model, send.Statement.SpanStart, "zc");
        string call = send.Complete($"{zc}.SendWithHeadersAsync({sendArguments})");
        string text = send.InAsyncContext
            ? $"await using (var {zc} = {send.Receiver}.AsZeroCopy())\n{{\n{call};\n}}"
            : $"using (var {zc} = {send.Receiver}.AsZeroCopy())\n{{\n{call};\n}}";
        return Statement(text, replacedFirst, replacedLast);
    }

    public static string Text(IOperation operation) => operation.Syntax.ToString();
}
