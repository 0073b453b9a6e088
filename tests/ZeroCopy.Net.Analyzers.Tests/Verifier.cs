using System;
using System.Collections.Immutable;
using System.IO;
using System.IO.Pipelines;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace ZeroCopy.Net.Analyzers.Tests;

/// <summary>
/// Test sources compile against this runtime's framework assemblies (net10.0, no package download)
/// and the reference assembly of the ZeroCopy.Net build the test project references, so fixed code must
/// compile against the library's public API.
/// </summary>
internal static class TestReferences
{
    private static readonly Lazy<ImmutableArray<MetadataReference>> s_framework = new(LoadFramework, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>ZeroCopy.Net's reference assembly (obj/.../ref/ZeroCopy.Net.dll), as the build recorded it.</summary>
    public static string LibraryReferenceAssembly { get; } = typeof(TestReferences).Assembly
        .GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
        .Cast<System.Reflection.AssemblyMetadataAttribute>()
        .Single(a => a.Key == "LibraryReferenceAssembly").Value!;

    /// <summary>The framework, ZeroCopy.Net and System.IO.Pipelines.</summary>
    public static ImmutableArray<MetadataReference> All { get; } = FrameworkOnly.AddRange(new MetadataReference[]
    {
        MetadataReference.CreateFromFile(LibraryReferenceAssembly),
        MetadataReference.CreateFromFile(typeof(PipeWriter).Assembly.Location),
    });

    /// <summary>This runtime's framework assemblies.</summary>
    public static ImmutableArray<MetadataReference> FrameworkOnly => s_framework.Value;

    /// <summary>No reference assembly package: the references are <see cref="All"/>.</summary>
    public static ReferenceAssemblies None { get; } = new("net10.0");

    private static ImmutableArray<MetadataReference> LoadFramework()
    {
        string framework = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        return Directory.EnumerateFiles(framework, "*.dll")
            .Where(IsManaged)
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToImmutableArray();
    }

    private static bool IsManaged(string path)
    {
        try
        {
            System.Reflection.AssemblyName.GetAssemblyName(path);
            return true;
        }
        catch (BadImageFormatException)
        {
            return false;
        }
    }
}

/// <summary>Runs an analyzer over sources (markup gives each expected diagnostic's exact span).</summary>
internal static class AnalyzerVerifier<TAnalyzer>
    where TAnalyzer : DiagnosticAnalyzer, new()
{
    public static Task VerifyAsync(string source, params string[] preprocessorSymbols)
    {
        var test = new CSharpAnalyzerTest<TAnalyzer, DefaultVerifier> { TestCode = source };
        Configure(test.TestState, test, preprocessorSymbols);
        return test.RunAsync(CancellationToken.None);
    }

    internal static void Configure<TVerifier>(SolutionState state, AnalyzerTest<TVerifier> test, string[] preprocessorSymbols)
        where TVerifier : IVerifier, new()
    {
        test.ReferenceAssemblies = TestReferences.None;
        state.AdditionalReferences.AddRange(TestReferences.All);
        if (preprocessorSymbols.Length > 0)
        {
            test.SolutionTransforms.Add((solution, projectId) =>
            {
                var options = (Microsoft.CodeAnalysis.CSharp.CSharpParseOptions)solution.GetProject(projectId)!.ParseOptions!;
                return solution.WithProjectParseOptions(projectId, options.WithPreprocessorSymbols(preprocessorSymbols));
            });
        }
    }
}

/// <summary>Runs an analyzer and its code fix: the fixed code must match and compile; Fix All runs too.</summary>
internal static class CodeFixVerifier<TAnalyzer, TCodeFix>
    where TAnalyzer : DiagnosticAnalyzer, new()
    where TCodeFix : CodeFixProvider, new()
{
    public static Task VerifyAsync(string source, string fixedSource, string? equivalenceKey = null)
    {
        var test = new CSharpCodeFixTest<TAnalyzer, TCodeFix, DefaultVerifier>
        {
            TestCode = source,
            FixedCode = fixedSource,
            CodeActionEquivalenceKey = equivalenceKey,
        };
        AnalyzerVerifier<TAnalyzer>.Configure(test.TestState, test, []);
        return test.RunAsync(CancellationToken.None);
    }

    /// <summary>The diagnostics of <paramref name="source"/> get no fix: the code stays as it is.</summary>
    public static Task VerifyNoFixAsync(string source) => VerifyAsync(source, source);

    /// <summary>Several documents fixed at once (Fix All in project and solution).</summary>
    public static Task VerifyAsync(string[] sources, string[] fixedSources)
    {
        var test = new CSharpCodeFixTest<TAnalyzer, TCodeFix, DefaultVerifier>();
        foreach (string source in sources)
        {
            test.TestState.Sources.Add(source);
        }

        foreach (string source in fixedSources)
        {
            test.FixedState.Sources.Add(source);
        }

        AnalyzerVerifier<TAnalyzer>.Configure(test.TestState, test, []);
        test.FixedState.AdditionalReferences.AddRange(TestReferences.All);
        return test.RunAsync(CancellationToken.None);
    }
}
