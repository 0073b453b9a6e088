#if !LIBRARY_NETSTANDARD
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;
using ZeroCopy.Net.Tests.Packaging;

namespace ZeroCopy.Net.Tests.Docs;

/// <summary>
/// Every C# block of README.md and docs/*.md compiles as it appears, using lines included. The rules
/// (README.md's "Code in these docs" says the same to readers):
/// <list type="bullet">
/// <item><c>```csharp</c>: a program, as pasted into a <c>dotnet new console</c> project that references
/// ZeroCopy.Net: its implicit usings (System, System.IO, System.Linq, System.Threading,
/// System.Threading.Tasks, System.Collections.Generic, System.Net.Http) and nothing else, so every other
/// namespace the block uses must have its using line in the block.</item>
/// <item><c>```csharp members</c>: declarations you paste into your own class; the block's leading using
/// lines go to the top of the file and the rest inside a class.</item>
/// <item><c>```csharp not-compiled</c>: needs packages the tests do not reference; at most
/// <see cref="NotCompiledAllowed"/> such blocks, each naming what it needs in the text around it.</item>
/// </list>
/// Names a block takes from its reader (a connected <c>socket</c>, a <c>cancellationToken</c>, a
/// <c>Fill</c> method) are supplied by <see cref="ReaderSupplied"/>, not by the block.
/// </summary>
[Trait("Category", "Slow")]
public class DocSnippetTests
{
    private const int NotCompiledAllowed = 1;

    // What a reader's program already has when it pastes a block. Static members of a class
    // imported with "using static", so a block's own declarations take precedence.
    private const string ReaderSupplied = """
        using System;
        using System.Net.Sockets;
        using Microsoft.Win32.SafeHandles;
        using ZeroCopy.Net.Buffers;

        public static class ReaderSupplied
        {
            public static Socket socket = null!;
            public static Socket connectedSocket = null!;
            public static CancellationToken cancellationToken;
            public static CancellationToken ct;
            public static SafeFileHandle fileHandle = null!;
            public static long offset;
            public static long count;
            public static ReadOnlyMemory<byte> statusLine;
            public static ReadOnlyMemory<byte> headerBlock;
            public static ReadOnlyMemory<byte> cachedBody;
            public static int Fill(Span<byte> destination) => destination.Length;
            public static int Render(Span<byte> destination) => destination.Length;
            public static byte[] BuildHeader() => Array.Empty<byte>();
            public static void WriteMessage(System.IO.Pipelines.PipeWriter writer, ReadOnlySpan<byte> payload) { }
        }
        """;

    private const string ImplicitUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Net.Http;
        global using System.Threading;
        global using System.Threading.Tasks;
        global using static ReaderSupplied;
        """;

    public static TheoryData<string, int> Blocks()
    {
        var data = new TheoryData<string, int>();
        foreach ((string file, int line, _, _) in AllBlocks())
        {
            data.Add(file, line);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Blocks))]
    public void TheBlockCompilesAsItAppears(string file, int line)
    {
        (_, _, string kind, string code) = AllBlocks().Single(b => b.File == file && b.Line == line);
        if (kind == "not-compiled")
        {
            return;
        }

        string source = kind switch
        {
            "" => code,
            "members" => WrapMembers(code),
            _ => throw new InvalidOperationException($"{file}:{line}: unknown block kind '{kind}' (csharp, csharp members, csharp not-compiled)."),
        };

        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        CSharpCompilation compilation = CSharpCompilation.Create(
            "Snippet",
            new[]
            {
                CSharpSyntaxTree.ParseText(source, parse, path: $"{file}:{line}"),
                CSharpSyntaxTree.ParseText(ReaderSupplied, parse),
                CSharpSyntaxTree.ParseText(ImplicitUsings, parse),
            },
            References.Value,
            new CSharpCompilationOptions(kind == "" ? OutputKind.ConsoleApplication : OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable, allowUnsafe: false));
        Diagnostic[] errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToArray();
        Assert.True(errors.Length == 0, $"{file}:{line} does not compile as it appears:\n{string.Join("\n", errors.Select(e => e.ToString()))}\n--- block ---\n{code}");
    }

    [Fact]
    public void EveryDocumentHasItsBlocksFoundAndFewAreNotCompiled()
    {
        var blocks = AllBlocks().ToList();
        Assert.Contains(blocks, b => b.File == "README.md");
        Assert.Contains(blocks, b => b.File == "docs/adapting-socket-send.md");
        Assert.True(blocks.Count(b => b.Kind == "not-compiled") <= NotCompiledAllowed, "more blocks marked not-compiled than allowed");
    }

    private static readonly Lazy<MetadataReference[]> References = new(() =>
    {
        // The shared framework's assemblies (what a console project compiles against) plus ZeroCopy.Net
        // and its package dependencies; not the test assemblies, whose types a reader does not have.
        // ASP.NET Core's shared framework and ZeroCopy.Net.AspNetCore too, for the blocks of an ASP.NET Core
        // app (README's ASP.NET Core section, docs/aspnetcore.md): what a web project referencing that package has.
        string runtime = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        string aspNetCore = Path.GetDirectoryName(typeof(Microsoft.AspNetCore.Builder.WebApplication).Assembly.Location)!;
        string[] extra = { "ZeroCopy.Net.dll", "System.IO.Pipelines.dll", "Microsoft.Extensions.ObjectPool.dll", "ZeroCopy.Net.AspNetCore.dll" };
        return ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => Path.GetDirectoryName(p) == runtime || Path.GetDirectoryName(p) == aspNetCore || extra.Contains(Path.GetFileName(p)))
            .GroupBy(Path.GetFileName)
            .Select(g => (MetadataReference)MetadataReference.CreateFromFile(g.First()))
            .ToArray();
    });

    private static IEnumerable<(string File, int Line, string Kind, string Code)> AllBlocks()
    {
        string root = RepositoryLayout.Root;
        IEnumerable<string> files = new[] { Path.Combine(root, "README.md") }
            .Concat(Directory.GetFiles(Path.Combine(root, "docs"), "*.md").OrderBy(f => f, StringComparer.Ordinal));
        foreach (string path in files)
        {
            string relative = Path.GetRelativePath(root, path).Replace('\\', '/');
            string[] lines = File.ReadAllText(path).Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
            for (int i = 0; i < lines.Length; i++)
            {
                Match open = Regex.Match(lines[i], @"^```csharp(?:\s+(\S+))?\s*$");
                if (!open.Success)
                {
                    continue;
                }

                int start = i + 1;
                int end = start;
                while (end < lines.Length && !lines[end].StartsWith("```", StringComparison.Ordinal))
                {
                    end++;
                }

                yield return (relative, i + 1, open.Groups[1].Value, string.Join("\n", lines[start..end]));
                i = end;
            }
        }
    }

    // Leading using lines stay at the top of the file; the declarations go inside a class.
    private static string WrapMembers(string code)
    {
        string[] lines = code.Split('\n');
        int body = 0;
        while (body < lines.Length && (lines[body].StartsWith("using ", StringComparison.Ordinal) || lines[body].Trim().Length == 0))
        {
            body++;
        }

        return string.Join("\n", lines[..body]) + "\npublic static partial class Snippet\n{\n" + string.Join("\n", lines[body..]) + "\n}\n";
    }
}
#endif
