using System;
using System.Collections.Generic;
using FsCheck;
using FsCheck.Fluent;
using Xunit;
using ZeroCopy.Net.Platform.Linux.IoUring;
using static ZeroCopy.Net.Interop.Linux;

namespace ZeroCopy.Net.Tests.Pinned;

/// <summary>
/// The io_uring engine's request table (<see cref="SendZcPairing{T}"/>) pairs each send's request
/// CQE with its SEND_ZC notification. These properties drive it with any interleaving of new
/// requests and CQEs (a notification reaped before its request, slots reused with new
/// generations, stale user_data from released requests and from ASYNC_CANCEL) and check that every
/// request's result is delivered once and its memory released exactly once, never before both of
/// its CQEs arrived.
/// </summary>
public class SendZcPairingProperties
{
    public sealed record Schedule(int Requests, int Seed, bool Stale);

    private static Arbitrary<Schedule> Schedules =>
        (from requests in Gen.Choose(0, 300)
         from seed in Gen.Choose(0, int.MaxValue)
         from stale in Gen.Elements(true, false)
         select new Schedule(requests, seed, stale)).ToArbitrary();

    [Fact]
    public void EveryRequestIsDeliveredOnceAndReleasedExactlyOnceAfterBothCqes()
    {
        Prop.ForAll(Schedules, s => Run(s) is null).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void NotificationBeforeItsRequestReleasesAtTheRequest()
    {
        var table = new SendZcPairing<int>(1);
        ulong token = table.Begin(7);
        Assert.Equal(CqeKind.Notification, table.OnCqe(token, IORING_CQE_F_NOTIF, out int value, out bool released));
        Assert.Equal(7, value);
        Assert.False(released);
        Assert.Equal(CqeKind.Request, table.OnCqe(token, IORING_CQE_F_MORE, out _, out released));
        Assert.True(released);
        Assert.Equal(CqeKind.Stale, table.OnCqe(token, IORING_CQE_F_NOTIF, out _, out _));
        Assert.Equal(0, table.Outstanding);
    }

    [Fact]
    public void AReusedSlotDoesNotMatchItsOldToken()
    {
        var table = new SendZcPairing<int>(1);
        ulong first = table.Begin(1);
        Assert.Equal(CqeKind.Request, table.OnCqe(first, 0, out _, out bool released));
        Assert.True(released);
        ulong second = table.Begin(2);
        Assert.Equal((uint)first, (uint)second); // same slot
        Assert.NotEqual(first, second);
        Assert.Equal(CqeKind.Stale, table.OnCqe(first, IORING_CQE_F_NOTIF, out _, out _));
        Assert.Equal(CqeKind.Stale, table.OnCqe(0, 0, out _, out _)); // an ASYNC_CANCEL's own CQE
        Assert.Equal(CqeKind.Request, table.OnCqe(second, 0, out int value, out _));
        Assert.Equal(2, value);
    }

    private static string? Run(Schedule s)
    {
        var random = new Random(s.Seed);
        var table = new SendZcPairing<int>(4); // small: the table grows under the schedule
        var tokens = new List<ulong>();
        var expectsNotification = new List<bool>();
        var requestsDelivered = new List<int>();
        var notificationsDelivered = new List<int>();
        var releases = new List<int>();
        var pending = new List<(int Id, bool Notification)>();
        var released = new List<ulong>();
        int begun = 0;
        while (begun < s.Requests || pending.Count > 0)
        {
            if (begun < s.Requests && (pending.Count == 0 || random.Next(3) == 0))
            {
                int id = begun++;
                tokens.Add(table.Begin(id));
                bool more = random.Next(4) != 0; // most are zero-copy with a notification
                expectsNotification.Add(more);
                requestsDelivered.Add(0);
                notificationsDelivered.Add(0);
                releases.Add(0);
                pending.Add((id, false));
                if (more)
                {
                    pending.Add((id, true));
                }

                continue;
            }

            if (s.Stale && released.Count > 0 && random.Next(5) == 0)
            {
                ulong old = released[random.Next(released.Count)];
                if (table.OnCqe(old, random.Next(2) == 0 ? IORING_CQE_F_NOTIF : 0, out _, out _) != CqeKind.Stale)
                {
                    return $"a released request's token {old:x} matched again";
                }
            }

            int pick = random.Next(pending.Count);
            (int which, bool notification) = pending[pick];
            pending.RemoveAt(pick);
            uint flags = notification ? IORING_CQE_F_NOTIF : expectsNotification[which] ? IORING_CQE_F_MORE : 0;
            CqeKind kind = table.OnCqe(tokens[which], flags, out int value, out bool isReleased);
            if (value != which)
            {
                return $"request {which}'s CQE carried payload {value}";
            }

            if (kind != (notification ? CqeKind.Notification : CqeKind.Request))
            {
                return $"request {which}: {(notification ? "notification" : "request")} CQE classified as {kind}";
            }

            (notification ? notificationsDelivered : requestsDelivered)[which]++;
            if (isReleased)
            {
                releases[which]++;
                released.Add(tokens[which]);
                bool allSeen = requestsDelivered[which] == 1 && notificationsDelivered[which] == (expectsNotification[which] ? 1 : 0);
                if (!allSeen)
                {
                    return $"request {which} released before both of its CQEs arrived";
                }
            }
        }

        for (int i = 0; i < s.Requests; i++)
        {
            if (requestsDelivered[i] != 1 || releases[i] != 1)
            {
                return $"request {i}: delivered {requestsDelivered[i]} times, released {releases[i]} times";
            }
        }

        return table.Outstanding == 0 ? null : $"{table.Outstanding} slots still outstanding";
    }
}
