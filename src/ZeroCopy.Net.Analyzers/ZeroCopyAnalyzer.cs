using Microsoft.CodeAnalysis.Diagnostics;

namespace ZeroCopy.Net.Analyzers;

/// <summary>
/// The ZC analyzers' shared set-up: generated code is skipped, analysis runs concurrently, and a
/// compilation that does not reference ZeroCopy.Net gets no callbacks at all.
/// </summary>
public abstract class ZeroCopyAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc/>
    public sealed override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            if (KnownTypes.Create(start.Compilation) is { } types)
            {
                Register(start, types);
            }
        });
    }

    /// <summary>Registers the analyzer's actions for a compilation that references the library.</summary>
    internal abstract void Register(CompilationStartAnalysisContext context, KnownTypes types);
}
