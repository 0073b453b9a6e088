using System;
using System.Buffers.Text;
using System.Collections.Concurrent;
using System.IO;
using Microsoft.Win32.SafeHandles;

namespace HttpStaticServer;

/// <summary>One open file and what its responses say about it.</summary>
public sealed class CachedFile
{
    internal CachedFile(SafeFileHandle handle, long length, DateTimeOffset lastModified, byte[] contentTypeLine, long expiresAt, bool cached)
    {
        Handle = handle;
        Length = length;
        LastModified = lastModified;
        ContentTypeLine = contentTypeLine;
        ExpiresAt = expiresAt;
        Cached = cached;
        LastModifiedLine = new byte[64];
        "Last-Modified: "u8.CopyTo(LastModifiedLine);
        Utf8Formatter.TryFormat(lastModified, LastModifiedLine.AsSpan(15), out int n, new System.Buffers.StandardFormat('R'));
        "\r\n"u8.CopyTo(LastModifiedLine.AsSpan(15 + n));
        LastModifiedLineLength = 17 + n;
    }

    /// <summary>The open handle (read-only). Held with DangerousAddRef while a response uses it.</summary>
    public SafeFileHandle Handle { get; }

    /// <summary>The file's length when it was opened.</summary>
    public long Length { get; }

    /// <summary>Last write time, whole seconds (HTTP dates have no fractions).</summary>
    public DateTimeOffset LastModified { get; }

    /// <summary>"Content-Type: ...\r\n".</summary>
    public byte[] ContentTypeLine { get; }

    /// <summary>"Last-Modified: ...\r\n" (the first <see cref="LastModifiedLineLength"/> bytes).</summary>
    public byte[] LastModifiedLine { get; }

    /// <summary>Used length of <see cref="LastModifiedLine"/>.</summary>
    public int LastModifiedLineLength { get; }

    internal long ExpiresAt { get; }

    internal bool Cached { get; }
}

/// <summary>
/// An open-file cache in the spirit of nginx's open_file_cache: the path lookup (realpath, open,
/// fstat) happens once per file per <see cref="ValidFor"/>, not per request. Lookups by the
/// decoded request path allocate nothing (an alternate lookup by span). A replaced handle closes
/// when the last response using it releases it (SafeHandle reference counting), so a file renamed
/// over is served in its new version within <see cref="ValidFor"/>.
/// </summary>
public sealed class OpenFileCache : IDisposable
{
    private const int MaxEntries = 4096;
    private static readonly TimeSpan ValidFor = TimeSpan.FromSeconds(1);

    private readonly string _realRoot;
    private readonly ConcurrentDictionary<string, CachedFile> _files = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, CachedFile>.AlternateLookup<ReadOnlySpan<char>> _bySpan;

    /// <param name="realRoot">The served folder's real path (realpath, no trailing slash).</param>
    public OpenFileCache(string realRoot)
    {
        _realRoot = realRoot;
        _bySpan = _files.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>
    /// The file for a decoded request path, referenced for the caller (call <see cref="Release"/>),
    /// or null when it does not exist, is not a regular file, or resolves outside the root.
    /// </summary>
    public CachedFile? Acquire(ReadOnlySpan<char> requestPath)
    {
        long now = Environment.TickCount64;
        if (_bySpan.TryGetValue(requestPath, out CachedFile? hit) && hit.ExpiresAt > now && TryAddRef(hit))
        {
            return hit;
        }

        string key = requestPath.ToString();
        CachedFile? fresh = Open(key, now, cache: _files.Count < MaxEntries);
        if (fresh is null)
        {
            if (_files.TryRemove(key, out CachedFile? stale))
            {
                stale.Handle.Dispose();
            }

            return null;
        }

        bool added = false;
        fresh.Handle.DangerousAddRef(ref added);
        if (fresh.Cached)
        {
            CachedFile? replaced = null;
            _files.AddOrUpdate(key, fresh, (_, old) =>
            {
                replaced = old;
                return fresh;
            });
            replaced?.Handle.Dispose();
        }

        return fresh;
    }

    /// <summary>Gives back what <see cref="Acquire"/> referenced.</summary>
    public static void Release(CachedFile file)
    {
        file.Handle.DangerousRelease();
        if (!file.Cached)
        {
            file.Handle.Dispose();
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (CachedFile file in _files.Values)
        {
            file.Handle.Dispose();
        }

        _files.Clear();
    }

    private static bool TryAddRef(CachedFile file)
    {
        bool added = false;
        try
        {
            file.Handle.DangerousAddRef(ref added);
        }
        catch (ObjectDisposedException)
        {
            // Replaced and closed by another connection just now: treat as a miss.
        }

        return added;
    }

    private CachedFile? Open(string requestPath, long now, bool cache)
    {
        string? real = SafePath.ResolveUnderRoot(_realRoot, _realRoot + requestPath);
        if (real is not null && Directory.Exists(real))
        {
            real = SafePath.ResolveUnderRoot(_realRoot, Path.Combine(real, "index.html"));
        }

        // Regular files only: a FIFO, a device or a socket in the root is 404 (RegularFile says why).
        if (real is null || RegularFile.TryOpen(real) is not SafeFileHandle handle)
        {
            return null;
        }

        try
        {
            long length = RandomAccess.GetLength(handle);
            DateTimeOffset modified = new DateTimeOffset(File.GetLastWriteTimeUtc(handle), TimeSpan.Zero);
            modified = modified.AddTicks(-(modified.Ticks % TimeSpan.TicksPerSecond));
            return new CachedFile(handle, length, modified, ContentTypes.HeaderLineFor(real), now + (long)ValidFor.TotalMilliseconds, cache);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }
}
