using System;
using System.Buffers.Binary;
using Xunit;
using ZeroCopy.Net.Platform.Linux;

namespace ZeroCopy.Net.Tests.Pinned;

/// <summary>Hand-built recvmsg(MSG_ERRQUEUE) control data, laid out as the kernel writes it on x86-64/arm64.</summary>
public class ErrorQueueParserTests
{
    private const int SolIp = 0;
    private const int IpRecvErr = 11;
    private const int SolIpv6 = 41;
    private const int Ipv6RecvErr = 25;
    private const int SoTimestamping = 37;
    private const byte OriginLocal = 1;
    private const byte OriginIcmp = 2;
    private const byte OriginZeroCopy = 5;

    [Theory]
    [InlineData(SolIp, IpRecvErr, 16)]   // sock_extended_err + sockaddr_in offender
    [InlineData(SolIpv6, Ipv6RecvErr, 28)] // + sockaddr_in6
    public void ReadsAZeroCopyCompletionAtEitherLevel(int level, int type, int offenderBytes)
    {
        byte[] control = new byte[256];
        int length = WriteRecvErr(control, 0, level, type, errno: 0, OriginZeroCopy, code: 0, info: 7, data: 19, offenderBytes);
        ErrorQueueEntry entry = Parse(control, length, out uint lo, out uint hi, out bool copied);
        Assert.Equal(ErrorQueueEntry.ZeroCopyCompletion, entry);
        Assert.Equal(7u, lo);
        Assert.Equal(19u, hi);
        Assert.False(copied);
    }

    [Fact]
    public void ReadsTheCopiedCodeAndAWrappingRange()
    {
        byte[] control = new byte[256];
        int length = WriteRecvErr(control, 0, SolIpv6, Ipv6RecvErr, errno: 0, OriginZeroCopy, code: 1, info: uint.MaxValue - 2, data: 4, 28);
        Assert.Equal(ErrorQueueEntry.ZeroCopyCompletion, Parse(control, length, out uint lo, out uint hi, out bool copied));
        Assert.True(copied);
        Assert.Equal(uint.MaxValue - 2, lo);
        Assert.Equal(4u, hi);
    }

    [Theory]
    [InlineData(OriginIcmp)]
    [InlineData(OriginLocal)]
    public void AnIcmpOrLocalErrorIsNotACompletion(byte origin)
    {
        // An ICMP "port unreachable" on the queue: ee_info/ee_data hold unrelated values that must not release anything.
        byte[] control = new byte[256];
        int length = WriteRecvErr(control, 0, SolIp, IpRecvErr, errno: 111, origin, code: 3, info: 0, data: 100, 16);
        Assert.Equal(ErrorQueueEntry.Other, Parse(control, length, out _, out _, out _));
    }

    [Fact]
    public void SkipsOtherCmsgsBeforeTheCompletion()
    {
        byte[] control = new byte[256];
        int offset = WriteCmsg(control, 0, 1 /* SOL_SOCKET */, SoTimestamping, new byte[48]);
        int length = WriteRecvErr(control, offset, SolIp, IpRecvErr, 0, OriginZeroCopy, 0, 3, 3, 16);
        Assert.Equal(ErrorQueueEntry.ZeroCopyCompletion, Parse(control, length, out uint lo, out uint hi, out _));
        Assert.Equal(3u, lo);
        Assert.Equal(3u, hi);
    }

    [Fact]
    public void ATimestampAloneIsOtherAndEmptyControlIsNone()
    {
        byte[] control = new byte[256];
        int length = WriteCmsg(control, 0, 1, SoTimestamping, new byte[48]);
        Assert.Equal(ErrorQueueEntry.Other, Parse(control, length, out _, out _, out _));
        Assert.Equal(ErrorQueueEntry.None, Parse(control, 0, out _, out _, out _));
    }

    [Fact]
    public void ATruncatedOrCorruptCmsgIsNeverReadPastTheBuffer()
    {
        byte[] control = new byte[256];
        int length = WriteRecvErr(control, 0, SolIp, IpRecvErr, 0, OriginZeroCopy, 0, 1, 2, 16);

        // Control length cut inside the sock_extended_err: the cmsg claims more than there is.
        Assert.Equal(ErrorQueueEntry.None, Parse(control, 24, out _, out _, out _));

        // cmsg_len smaller than the header: stop, do not loop.
        BinaryPrimitives.WriteUInt64LittleEndian(control, 4);
        Assert.Equal(ErrorQueueEntry.None, Parse(control, length, out _, out _, out _));

        // A RECVERR cmsg too short to hold sock_extended_err: not a completion.
        BinaryPrimitives.WriteUInt64LittleEndian(control, 16 + 8);
        Assert.Equal(ErrorQueueEntry.Other, Parse(control, length, out _, out _, out _));
    }

    private static unsafe ErrorQueueEntry Parse(byte[] control, int length, out uint lo, out uint hi, out bool copied)
    {
        fixed (byte* p = control)
        {
            return ErrorQueueParser.Parse(p, (nuint)length, out lo, out hi, out copied);
        }
    }

    private static int WriteRecvErr(byte[] buffer, int offset, int level, int type, uint errno, byte origin, byte code, uint info, uint data, int offenderBytes)
    {
        byte[] payload = new byte[16 + offenderBytes];
        BinaryPrimitives.WriteUInt32LittleEndian(payload.AsSpan(0), errno);
        payload[4] = origin;
        payload[5] = 0; // ee_type
        payload[6] = code;
        payload[7] = 0; // ee_pad
        BinaryPrimitives.WriteUInt32LittleEndian(payload.AsSpan(8), info);
        BinaryPrimitives.WriteUInt32LittleEndian(payload.AsSpan(12), data);
        return WriteCmsg(buffer, offset, level, type, payload);
    }

    /// <summary>cmsghdr { size_t cmsg_len; int cmsg_level; int cmsg_type; } then data at 16, next header at CMSG_ALIGN(cmsg_len).</summary>
    private static int WriteCmsg(byte[] buffer, int offset, int level, int type, byte[] payload)
    {
        int cmsgLen = 16 + payload.Length;
        BinaryPrimitives.WriteUInt64LittleEndian(buffer.AsSpan(offset), (ulong)cmsgLen);
        BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(offset + 8), level);
        BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(offset + 12), type);
        payload.CopyTo(buffer, offset + 16);
        return offset + ((cmsgLen + 7) & ~7);
    }
}
