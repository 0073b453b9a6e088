using System;
using System.Collections.Generic;
using System.IO;

namespace ZeroCopy.Net.AspNetCore.Tests.Infrastructure;

/// <summary>
/// A web root of files with known contents (deterministic pseudo-random bytes), created once per test class and
/// deleted after it: every response body is compared byte for byte with <see cref="Contents"/>.
/// </summary>
public sealed class SiteFiles : IDisposable
{
    public const long MiB = 1024 * 1024;

    /// <summary>The sizes the issue names: 0 B, 1 B, 4 KiB, 1 MiB + 13, 64 MiB.</summary>
    public static readonly IReadOnlyDictionary<string, long> Sizes = new Dictionary<string, long>
    {
        ["empty.bin"] = 0,
        ["one.bin"] = 1,
        ["4k.bin"] = 4096,
        ["1m13.bin"] = MiB + 13,
        ["64m.bin"] = 64 * MiB,
    };

    private readonly Dictionary<string, byte[]> _contents = new();

    public SiteFiles()
    {
        Root = Path.Combine(Path.GetTempPath(), "zc-aspnetcore-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
        int seed = 14;
        foreach ((string name, long size) in Sizes)
        {
            byte[] bytes = new byte[size];
            new Random(seed++).NextBytes(bytes);
            File.WriteAllBytes(Path.Combine(Root, name), bytes);
            _contents[name] = bytes;
        }

        // Text that compression middleware compresses (text/plain), 1 MiB + 13.
        var text = new System.Text.StringBuilder();
        var random = new Random(1400);
        while (text.Length < MiB + 13)
        {
            text.Append("line ").Append(random.Next()).Append(" of a compressible text file\n");
        }

        byte[] textBytes = System.Text.Encoding.ASCII.GetBytes(text.ToString(0, (int)(MiB + 13)));
        File.WriteAllBytes(Path.Combine(Root, "text.txt"), textBytes);
        _contents["text.txt"] = textBytes;
    }

    public string Root { get; }

    public byte[] Contents(string name) => _contents[name];

    public string PathOf(string name) => System.IO.Path.Combine(Root, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
