using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace HttpStaticServer;

/// <summary>Content-Type lines by file extension, encoded once.</summary>
public static class ContentTypes
{
    private static readonly byte[] s_default = Line("application/octet-stream");

    private static readonly Dictionary<string, byte[]> s_byExtension = new(StringComparer.OrdinalIgnoreCase)
    {
        [".html"] = Line("text/html; charset=utf-8"),
        [".htm"] = Line("text/html; charset=utf-8"),
        [".txt"] = Line("text/plain; charset=utf-8"),
        [".css"] = Line("text/css; charset=utf-8"),
        [".js"] = Line("text/javascript; charset=utf-8"),
        [".json"] = Line("application/json"),
        [".xml"] = Line("application/xml"),
        [".png"] = Line("image/png"),
        [".jpg"] = Line("image/jpeg"),
        [".jpeg"] = Line("image/jpeg"),
        [".gif"] = Line("image/gif"),
        [".svg"] = Line("image/svg+xml"),
        [".ico"] = Line("image/x-icon"),
        [".webp"] = Line("image/webp"),
        [".wasm"] = Line("application/wasm"),
        [".pdf"] = Line("application/pdf"),
        [".zip"] = Line("application/zip"),
        [".gz"] = Line("application/gzip"),
        [".mp4"] = Line("video/mp4"),
    };

    /// <summary>"Content-Type: ...\r\n" for <paramref name="path"/>.</summary>
    public static byte[] HeaderLineFor(string path)
        => s_byExtension.TryGetValue(Path.GetExtension(path), out byte[]? line) ? line : s_default;

    private static byte[] Line(string type) => Encoding.ASCII.GetBytes($"Content-Type: {type}\r\n");
}
