using System;

namespace HttpStaticServer;

/// <summary>
/// Parses an HTTP/1.1 request head (RFC 9112) strictly: CRLF line ends (a bare LF is accepted, as
/// RFC 9112 2.2 allows; a bare CR is 400), token method, no whitespace before a header's colon, no
/// obsolete line folding, Host required on HTTP/1.1, at most one Content-Length, and no request body (this server only serves GET and HEAD, so a Content-Length above 0 or any
/// Transfer-Encoding is refused rather than left unread on the connection).
/// </summary>
public static class HttpRequestParser
{
    /// <summary>
    /// How many bytes of empty lines (CRLF or a bare LF) start <paramref name="buffer"/>: RFC 9112 2.2
    /// asks a server to ignore at least one empty line before the request line (some clients send
    /// one after a request body). A lone CR at the end is left: its LF may not have arrived yet.
    /// </summary>
    public static int LeadingEmptyLines(ReadOnlySpan<byte> buffer)
    {
        int i = 0;
        while (true)
        {
            if (i < buffer.Length && buffer[i] == (byte)'\n')
            {
                i++;
            }
            else if (i + 1 < buffer.Length && buffer[i] == (byte)'\r' && buffer[i + 1] == (byte)'\n')
            {
                i += 2;
            }
            else
            {
                return i;
            }
        }
    }

    /// <summary>
    /// Where the head ends (the index just past the empty line that ends it), or -1 when more bytes
    /// are needed. Lines end with LF, with or without a CR before it: RFC 9112 2.2 lets a recipient
    /// accept a bare LF, and answering at once beats leaving a bare-LF client waiting for a CRLF
    /// CRLF that never comes. The buffer must not start with an empty line (see <see cref="LeadingEmptyLines"/>).
    /// </summary>
    public static int FindHeadEnd(ReadOnlySpan<byte> buffer)
    {
        int start = 0;
        while (true)
        {
            int lf = buffer.Slice(start).IndexOf((byte)'\n');
            if (lf < 0)
            {
                return -1;
            }

            lf += start;
            if (lf + 1 < buffer.Length && buffer[lf + 1] == (byte)'\n')
            {
                return lf + 2;
            }

            if (lf + 2 < buffer.Length && buffer[lf + 1] == (byte)'\r' && buffer[lf + 2] == (byte)'\n')
            {
                return lf + 3;
            }

            start = lf + 1;
        }
    }

    /// <summary>Parses <paramref name="head"/> (request line, header lines and the final empty line).</summary>
    public static ParseStatus Parse(ReadOnlySpan<byte> head, out HttpRequest request)
    {
        request = default;
        int consumed = NextLine(head, out int lineLength);
        if (consumed < 0 || lineLength == 0)
        {
            return ParseStatus.BadRequest;
        }

        ParseStatus status = ParseRequestLine(head.Slice(0, lineLength), ref request);
        if (status != ParseStatus.Ok)
        {
            return status;
        }

        ReadOnlySpan<byte> rest = head.Slice(consumed);
        while (true)
        {
            consumed = NextLine(rest, out lineLength);
            if (consumed < 0)
            {
                return ParseStatus.BadRequest;
            }

            if (lineLength == 0)
            {
                break;
            }

            if (!ParseHeader(rest.Slice(0, lineLength), ref request))
            {
                return ParseStatus.BadRequest;
            }

            rest = rest.Slice(consumed);
        }

        return request.MinorVersion == 1 && !request.HasHost ? ParseStatus.BadRequest : ParseStatus.Ok;
    }

    // A line ends at LF; a CR just before it is not part of the line. A CR anywhere else stays in
    // the line, where the request-line and field checks reject it (RFC 9112 2.2: a bare CR is
    // invalid). Returns the bytes the line takes with its end, or -1 when no LF is left.
    private static int NextLine(ReadOnlySpan<byte> rest, out int lineLength)
    {
        int lf = rest.IndexOf((byte)'\n');
        lineLength = lf > 0 && rest[lf - 1] == (byte)'\r' ? lf - 1 : lf;
        return lf < 0 ? -1 : lf + 1;
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
            // 1*DIGIT and 0 (no body is read), once: two Content-Length fields are 400 even when they
            // agree (RFC 9112 6.3: a recipient may not guess which one framed the message).
            if (request.HasContentLength || !TryParseNumber(value, out long length) || length != 0)
            {
                return false;
            }

            request.HasContentLength = true;
        }
        else if (EqualsIgnoreCase(name, "transfer-encoding"u8))
        {
            return false;
        }

        return true;
    }

    /// <summary>
    /// Parses a single byte range, "bytes=first-last", "bytes=first-" or "bytes=-suffix" (the unit
    /// case-insensitive, numbers 1*DIGIT with any leading zeros), against a file of
    /// <paramref name="length"/> bytes. Returns null when the header is absent, is not a byte range,
    /// is malformed or asks for several ranges (RFC 9110 14.2: a server may ignore Range and send the
    /// whole file); false with <paramref name="unsatisfiable"/> (416) when the range is invalid
    /// (last before first, RFC 9110 14.1.1) or no byte of it exists, as nginx answers.
    /// </summary>
    public static bool? TryParseRange(ReadOnlySpan<byte> header, long length, out long offset, out long count, out bool unsatisfiable)
    {
        offset = 0;
        count = length;
        unsatisfiable = false;
        if (header.Length < 6 || !EqualsIgnoreCase(header.Slice(0, 6), "bytes="u8))
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

        long end = long.MaxValue;
        if (!last.IsEmpty && !TryParseNumber(last, out end))
        {
            return null;
        }

        if (end < start || start >= length)
        {
            unsatisfiable = true;
            return false;
        }

        offset = start;
        count = Math.Min(end, length - 1) - start + 1;
        return true;
    }

    /// <summary>
    /// 1*DIGIT: leading zeros are allowed (RFC 9110 gives no length limit), and a value above
    /// <see cref="long.MaxValue"/> saturates to it, which is past the end of any file.
    /// </summary>
    private static bool TryParseNumber(ReadOnlySpan<byte> digits, out long value)
    {
        value = 0;
        if (digits.IsEmpty)
        {
            return false;
        }

        foreach (byte b in digits)
        {
            if (!IsDigit(b))
            {
                return false;
            }

            if (value > (long.MaxValue - 9) / 10)
            {
                value = long.MaxValue;
            }
            else
            {
                value = (value * 10) + (b - '0');
            }
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
