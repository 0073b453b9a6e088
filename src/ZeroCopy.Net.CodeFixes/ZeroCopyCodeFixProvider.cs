using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using ZeroCopy.Net.Analyzers;

namespace ZeroCopy.Net.CodeFixes;

/// <summary>A fix: statements to replace (or remove, with a null replacement), and the action's title.</summary>
internal sealed class FixPlan
{
    public FixPlan(string title, params (SyntaxNode Node, SyntaxNode? Replacement)[] edits)
    {
        Title = title;
        Edits = edits;
    }

    public string Title { get; }

    public IReadOnlyList<(SyntaxNode Node, SyntaxNode? Replacement)> Edits { get; }

    /// <summary>Statements inserted after an original statement (applied before the edits, on the original tree).</summary>
    public IReadOnlyList<(SyntaxNode After, SyntaxNode Statement)> InsertedAfter { get; set; } = System.Array.Empty<(SyntaxNode, SyntaxNode)>();
}

/// <summary>
/// The shared shape of the ZC fixes: each diagnostic becomes a <see cref="FixPlan"/> computed on the
/// original tree, and Fix All applies every plan of a document in one edit (then adds <c>using ZeroCopy.Net;</c>
/// once), so fixes next to each other never conflict.
/// </summary>
public abstract class ZeroCopyCodeFixProvider : CodeFixProvider
{
    /// <inheritdoc/>
    public sealed override FixAllProvider GetFixAllProvider() =>
        FixAllProvider.Create(async (context, document, diagnostics) => await FixAsync(document, diagnostics, context.CancellationToken).ConfigureAwait(false));

    /// <inheritdoc/>
    public sealed override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        SyntaxNode? root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        SemanticModel? model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null || KnownTypes.Create(model.Compilation) is not { } types)
        {
            return;
        }

        foreach (Diagnostic diagnostic in context.Diagnostics)
        {
            if (Plan(root, model, diagnostic, types) is { } plan)
            {
                context.RegisterCodeFix(
                    CodeAction.Create(plan.Title, c => FixAsync(context.Document, ImmutableArray.Create(diagnostic), c), equivalenceKey: diagnostic.Id),
                    diagnostic);
            }
        }
    }

    /// <summary>The fix for one diagnostic, or null where no fix keeps the code compiling and behaving the same.</summary>
    internal abstract FixPlan? Plan(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, KnownTypes types);

    private protected static InvocationExpressionSyntax? DiagnosedInvocation(SyntaxNode root, Diagnostic diagnostic) =>
        root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) as InvocationExpressionSyntax;

    private async Task<Document> FixAsync(Document document, ImmutableArray<Diagnostic> diagnostics, CancellationToken cancellationToken)
    {
        SemanticModel? model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (model is null || KnownTypes.Create(model.Compilation) is not { } types)
        {
            return document;
        }

        DocumentEditor editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
        var edited = new HashSet<SyntaxNode>();
        foreach (Diagnostic diagnostic in diagnostics)
        {
            if (Plan(editor.OriginalRoot, model, diagnostic, types) is not { } plan || plan.Edits.Count == 0 || !edited.Add(plan.Edits[0].Node))
            {
                continue;
            }

            foreach ((SyntaxNode after, SyntaxNode statement) in plan.InsertedAfter)
            {
                editor.InsertAfter(after, statement);
            }

            foreach ((SyntaxNode node, SyntaxNode? replacement) in plan.Edits)
            {
                if (replacement is null)
                {
                    editor.RemoveNode(node, SyntaxRemoveOptions.KeepNoTrivia);
                }
                else
                {
                    editor.ReplaceNode(node, replacement);
                }
            }
        }

        return document.WithSyntaxRoot(FixSyntax.AddLibraryUsing(editor.GetChangedRoot()));
    }
}
