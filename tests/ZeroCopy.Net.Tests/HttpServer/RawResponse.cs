#if !LIBRARY_NETSTANDARD
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace ZeroCopy.Net.Tests.HttpServer;

/// <summary>One HTTP/1.1 response read off a raw socket as Latin-1 (one char per byte), split into its parts.</summary>
public sealed record RawResponse(string StatusLine, IReadOnlyDictionary<string, string> Headers, string Body)
{
    /// <summary>The status code.</summary>
    public int Status => int.Parse(StatusLine.AsSpan(9, 3), CultureInfo.InvariantCulture);

    /// <summary>Splits the responses in <paramref name="text"/>, each body by its Content-Length (none for 304 or a HEAD).</summary>
    public static List<RawResponse> ParseAll(string text, bool headOnly = false)
    {
        var responses = new List<RawResponse>();
        int at = 0;
        while (at < text.Length)
        {
            int headEnd = text.IndexOf("\r\n\r\n", at, StringComparison.Ordinal);
            if (headEnd < 0)
            {
                throw new FormatException($"An incomplete response head at {at}: {text.Substring(at)}");
            }

            string[] lines = text.Substring(at, headEnd - at).Split("\r\n");
            var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            for (int i = 1; i < lines.Length; i++)
            {
                int colon = lines[i].IndexOf(':', StringComparison.Ordinal);
                headers.Add(lines[i].Substring(0, colon), lines[i].Substring(colon + 1).Trim());
            }

            bool noBody = headOnly || lines[0].StartsWith("HTTP/1.1 304", StringComparison.Ordinal);
            int length = noBody || !headers.TryGetValue("Content-Length", out string? value) ? 0 : int.Parse(value, CultureInfo.InvariantCulture);
            int bodyStart = headEnd + 4;
            if (text.Length - bodyStart < length)
            {
                throw new FormatException($"A body of {text.Length - bodyStart} bytes where Content-Length says {length}.");
            }

            responses.Add(new RawResponse(lines[0], headers, text.Substring(bodyStart, length)));
            at = bodyStart + length;
        }

        return responses;
    }

    /// <summary>Exactly one response in <paramref name="text"/>.</summary>
    public static RawResponse ParseOne(string text, bool headOnly = false)
    {
        List<RawResponse> all = ParseAll(text, headOnly);
        return all.Count == 1 ? all[0] : throw new FormatException($"{all.Count} responses where one was expected.");
    }

    /// <summary>Bytes as the Latin-1 string a raw read yields, to compare bodies byte for byte.</summary>
    public static string Latin1(ReadOnlySpan<byte> bytes) => Encoding.Latin1.GetString(bytes);
}
#endif
