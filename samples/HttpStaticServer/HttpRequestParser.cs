using System;
using System.Buffers.Text;

namespace HttpStaticServer;

/// <summary>
/// Parses an HTTP/1.1 request head (RFC 9112) strictly: CRLF line ends, token method, no
/// whitespace before a header's colon, no obsolete line folding, Host required on HTTP/1.1, and no
/// request body (this server only serves GET and HEAD, so a Content-Length above 0 or any
/// Transfer-Encoding is refused rather than left unread on the connection).
/// </summary>
public static class HttpRequestParser
{
    /// <summary>Where the head ends (the index just past CRLF CRLF), or -1 when more bytes are needed.</summary>
    public static int FindHeadEnd(ReadOnlySpan<byte> buffer)
    {
        int i = buffer.IndexOf("\r\n\r\n"u8);
        return i < 0 ? -1 : i + 4;
    }

    /// <summary>Parses <paramref name="head"/> (request line, header lines and the final empty line).</summary>
    public static ParseStatus Parse(ReadOnlySpan<byte> head, out HttpRequest request)
    {
        request = default;
        int lineEnd = head.IndexOf("\r\n"u8);
        if (lineEnd <= 0)
        {
            return ParseStatus.BadRequest;
        }

        ParseStatus status = ParseRequestLine(head.Slice(0, lineEnd), ref request);
        if (status != ParseStatus.Ok)
        {
            return status;
        }

        ReadOnlySpan<byte> rest = head.Slice(lineEnd + 2);
        while (true)
        {
            int end = rest.IndexOf("\r\n"u8);
            if (end < 0)
            {
                return ParseStatus.BadRequest;
            }

            if (end == 0)
            {
                break;
            }

            if (!ParseHeader(rest.Slice(0, end), ref request))
            {
                return ParseStatus.BadRequest;
            }

            rest = rest.Slice(end + 2);
        }

        return request.MinorVersion == 1 && !request.HasHost ? ParseStatus.BadRequest : ParseStatus.Ok;
    }

    private static ParseStatus ParseRequestLine(ReadOnlySpan<byte> line, ref HttpRequest request)
    {
        int sp1 = line.IndexOf((byte)' ');
        if (sp1 <= 0)
        {
            return ParseStatus.BadRequest;
        }

        ReadOnlySpan<byte> method = line.Slice(0, sp1);
        foreach (byte b in method)
        {
            if (!IsTokenChar(b))
            {
                return ParseStatus.BadRequest;
            }
        }

        request.Method = method.SequenceEqual("GET"u8) ? HttpMethod.Get : method.SequenceEqual("HEAD"u8) ? HttpMethod.Head : HttpMethod.Other;
        ReadOnlySpan<byte> afterMethod = line.Slice(sp1 + 1);
        int sp2 = afterMethod.IndexOf((byte)' ');
        if (sp2 <= 0)
        {
            return ParseStatus.BadRequest;
        }

        ReadOnlySpan<byte> target = afterMethod.Slice(0, sp2);
        foreach (byte b in target)
        {
            if (b <= 0x20 || b >= 0x7f)
            {
                return ParseStatus.BadRequest;
            }
        }

        request.Target = target;
        ReadOnlySpan<byte> version = afterMethod.Slice(sp2 + 1);
        if (version.Length != 8 || !version.StartsWith("HTTP/"u8) || version[6] != (byte)'.' || !IsDigit(version[5]) || !IsDigit(version[7]))
        {
            return ParseStatus.BadRequest;
        }

        if (version[5] != (byte)'1' || version[7] > (byte)'1')
        {
            return ParseStatus.VersionNotSupported;
        }

        request.MinorVersion = version[7] - '0';
        return ParseStatus.Ok;
    }

    private static bool ParseHeader(ReadOnlySpan<byte> line, ref HttpRequest request)
    {
        int colon = line.IndexOf((byte)':');
        if (colon <= 0)
        {
            return false;
        }

        ReadOnlySpan<byte> name = line.Slice(0, colon);
        foreach (byte b in name)
        {
            if (!IsTokenChar(b))
            {
                // Includes whitespace before the colon and obsolete line folding: both are 400 (RFC 9112 5.1, 5.2).
                return false;
            }
        }

        ReadOnlySpan<byte> value = Trim(line.Slice(colon + 1));
        foreach (byte b in value)
        {
            if ((b < 0x20 && b != (byte)'\t') || b == 0x7f)
            {
                return false;
            }
        }

        if (EqualsIgnoreCase(name, "host"u8))
        {
            if (request.HasHost)
            {
                return false;
            }

            request.HasHost = true;
        }
        else if (EqualsIgnoreCase(name, "connection"u8))
        {
            request.ConnectionClose |= ContainsToken(value, "close"u8);
            request.ConnectionKeepAlive |= ContainsToken(value, "keep-alive"u8);
        }
        else if (EqualsIgnoreCase(name, "range"u8))
        {
            request.Range = value;
        }
        else if (EqualsIgnoreCase(name, "if-modified-since"u8))
        {
            request.IfModifiedSince = value;
        }
        else if (EqualsIgnoreCase(name, "content-length"u8))
        {
            if (!Utf8Parser.TryParse(value, out long length, out int consumed) || consumed != value.Length || length != 0)
            {
                return false;
            }
        }
        else if (EqualsIgnoreCase(name, "transfer-encoding"u8))
        {
            return false;
        }

        return true;
    }

    /// <summary>
    /// Parses a single byte range, "bytes=first-last", "bytes=first-" or "bytes=-suffix", against a
    /// file of <paramref name="length"/> bytes. Returns null when the header is absent, malformed or
    /// asks for several ranges (RFC 9110 14.2: a server may ignore Range and send the whole file);
    /// false with <paramref name="unsatisfiable"/> when no byte of the range exists (416).
    /// </summary>
    public static bool? TryParseRange(ReadOnlySpan<byte> header, long length, out long offset, out long count, out bool unsatisfiable)
    {
        offset = 0;
        count = length;
        unsatisfiable = false;
        if (header.IsEmpty || !header.StartsWith("bytes="u8))
        {
            return null;
        }

        ReadOnlySpan<byte> spec = Trim(header.Slice(6));
        if (spec.IndexOf((byte)',') >= 0)
        {
            return null;
        }

        int dash = spec.IndexOf((byte)'-');
        if (dash < 0)
        {
            return null;
        }

        ReadOnlySpan<byte> first = spec.Slice(0, dash);
        ReadOnlySpan<byte> last = spec.Slice(dash + 1);
        if (first.IsEmpty)
        {
            if (!TryParseNumber(last, out long suffix))
            {
                return null;
            }

            if (suffix == 0 || length == 0)
            {
                unsatisfiable = true;
                return false;
            }

            count = Math.Min(suffix, length);
            offset = length - count;
            return true;
        }

        if (!TryParseNumber(first, out long start))
        {
            return null;
        }

        long end = length - 1;
        if (!last.IsEmpty)
        {
            if (!TryParseNumber(last, out end) || end < start)
            {
                return null;
            }

            end = Math.Min(end, length - 1);
        }

        if (start >= length)
        {
            unsatisfiable = true;
            return false;
        }

        offset = start;
        count = end - start + 1;
        return true;
    }

    private static bool TryParseNumber(ReadOnlySpan<byte> digits, out long value)
    {
        value = 0;
        if (digits.IsEmpty || digits.Length > 18)
        {
            return false;
        }

        foreach (byte b in digits)
        {
            if (!IsDigit(b))
            {
                return false;
            }

            value = (value * 10) + (b - '0');
        }

        return true;
    }

    private static bool ContainsToken(ReadOnlySpan<byte> list, ReadOnlySpan<byte> token)
    {
        while (!list.IsEmpty)
        {
            int comma = list.IndexOf((byte)',');
            ReadOnlySpan<byte> item = Trim(comma < 0 ? list : list.Slice(0, comma));
            if (EqualsIgnoreCase(item, token))
            {
                return true;
            }

            list = comma < 0 ? default : list.Slice(comma + 1);
        }

        return false;
    }

    private static bool EqualsIgnoreCase(ReadOnlySpan<byte> a, ReadOnlySpan<byte> lowerB)
    {
        if (a.Length != lowerB.Length)
        {
            return false;
        }

        for (int i = 0; i < a.Length; i++)
        {
            byte c = a[i];
            if ((uint)(c - 'A') <= 'Z' - 'A')
            {
                c |= 0x20;
            }

            if (c != lowerB[i])
            {
                return false;
            }
        }

        return true;
    }

    private static ReadOnlySpan<byte> Trim(ReadOnlySpan<byte> s)
    {
        int start = 0;
        int end = s.Length;
        while (start < end && (s[start] == (byte)' ' || s[start] == (byte)'\t'))
        {
            start++;
        }

        while (end > start && (s[end - 1] == (byte)' ' || s[end - 1] == (byte)'\t'))
        {
            end--;
        }

        return s.Slice(start, end - start);
    }

    private static bool IsDigit(byte b) => (uint)(b - '0') <= 9;

    // RFC 9110 5.6.2 tchar.
    private static bool IsTokenChar(byte b) =>
        (uint)(b - 'a') <= 'z' - 'a' || (uint)(b - 'A') <= 'Z' - 'A' || IsDigit(b) ||
        b is (byte)'!' or (byte)'#' or (byte)'$' or (byte)'%' or (byte)'&' or (byte)'\'' or (byte)'*' or (byte)'+' or (byte)'-' or (byte)'.' or (byte)'^' or (byte)'_' or (byte)'`' or (byte)'|' or (byte)'~';
}
