using System;
using System.IO;
using Microsoft.Win32.SafeHandles;

namespace ZeroCopy.Net.Bench;

/// <summary>
/// A new temporary file of random bytes (a new inode each time, so no earlier benchmark's leaked
/// locks on another file slow this one), opened for reading; deleted on dispose.
/// </summary>
internal sealed class RandomBenchFile : IDisposable
{
    public RandomBenchFile(string name, int length, int seed)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"{name}-{Environment.ProcessId}.bin");
        Content = new byte[length];
        new Random(seed).NextBytes(Content);
        File.WriteAllBytes(Path, Content);
        Handle = File.OpenHandle(Path);
    }

    public string Path { get; }

    /// <summary>The bytes written, for benchmarks that also send a cached copy.</summary>
    public byte[] Content { get; }

    public SafeFileHandle Handle { get; }

    public void Dispose()
    {
        Handle.Dispose();
        File.Delete(Path);
    }
}
