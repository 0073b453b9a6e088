using System;
using static ZeroCopy.Net.Interop.Linux;

namespace ZeroCopy.Net.Platform.Linux.IoUring;

/// <summary>What one CQE was, for the request table.</summary>
internal enum CqeKind
{
    /// <summary>No request of ours has this user_data (an ASYNC_CANCEL's own CQE, or a slot already released).</summary>
    Stale,

    /// <summary>The request's result (bytes or -errno).</summary>
    Request,

    /// <summary>A SEND_ZC notification: the kernel no longer references the request's pages.</summary>
    Notification,
}

/// <summary>
/// The pure bookkeeping that pairs a send's two CQEs, with no syscalls (FsCheck-tested in
/// tests/Pinned/SendZcPairingProperties): each request submitted gets a slot and a user_data token;
/// its request CQE delivers the result; its memory is released when both the request CQE and, if
/// that CQE said <see cref="IORING_CQE_F_MORE"/>, the <see cref="IORING_CQE_F_NOTIF"/> CQE have been
/// seen, in whichever order they are reaped, exactly once.
/// </summary>
/// <remarks>
/// <para>The token is (generation &lt;&lt; 32) | slot: a slot is reused only with a new generation, so a
/// CQE for a released request (or user_data 0, which the engine gives its ASYNC_CANCEL requests)
/// never matches a live one. Generations start at 1.</para>
/// <para>Not thread-safe: the engine calls it under its table lock.</para>
/// </remarks>
/// <typeparam name="T">What a slot carries (the engine's request record).</typeparam>
internal sealed class SendZcPairing<T>
{
    private const byte InUse = 1;
    private const byte RequestSeen = 2;
    private const byte NotificationSeen = 4;
    private const byte NotificationExpected = 8;

    private Slot[] _slots;
    private int[] _free;
    private int _freeCount;

    public SendZcPairing(int capacity)
    {
        _slots = new Slot[capacity];
        _free = new int[capacity];
        for (int i = 0; i < capacity; i++)
        {
            _free[i] = capacity - 1 - i; // slot 0 handed out first
        }

        _freeCount = capacity;
    }

    /// <summary>Requests whose memory is not released yet.</summary>
    public int Outstanding => _slots.Length - _freeCount;

    /// <summary>Takes a slot for a request about to be submitted and returns its user_data. Grows the table when full (allocation only then).</summary>
    public ulong Begin(T value)
    {
        if (_freeCount == 0)
        {
            Grow();
        }

        int slot = _free[--_freeCount];
        ref Slot s = ref _slots[slot];
        s.Generation = s.Generation == uint.MaxValue ? 1 : s.Generation + 1;
        s.State = InUse;
        s.Value = value;
        return ((ulong)s.Generation << 32) | (uint)slot;
    }

    /// <summary>
    /// The request could not be submitted (no SQE, or io_uring_enter refused it): forgets the slot
    /// as if it had never been taken. Only before the kernel saw it.
    /// </summary>
    public void Cancel(ulong token)
    {
        int slot = (int)(uint)token;
        if (IsLive(token, slot))
        {
            Free(slot);
        }
    }

    /// <summary>Replaces a live slot's payload (the engine records how many bytes the kernel took once the request CQE says so).</summary>
    public void Update(ulong token, T value)
    {
        int slot = (int)(uint)token;
        if (IsLive(token, slot))
        {
            _slots[slot].Value = value;
        }
    }

    /// <summary>Rewrites the payload of every request not released yet (disposal: a socket gives up its outstanding requests).</summary>
    public void RewriteLive(Func<T, T> rewrite)
    {
        for (int i = 0; i < _slots.Length; i++)
        {
            if ((_slots[i].State & InUse) != 0)
            {
                _slots[i].Value = rewrite(_slots[i].Value);
            }
        }
    }

    /// <summary>
    /// Applies one CQE. <paramref name="value"/> is the slot's payload for a <see cref="CqeKind.Request"/>
    /// or <see cref="CqeKind.Notification"/>; <paramref name="released"/> says the request's memory is
    /// free now (its slot is gone and its token is stale from here on).
    /// </summary>
    public CqeKind OnCqe(ulong token, uint cqeFlags, out T value, out bool released)
    {
        value = default!;
        released = false;
        int slot = (int)(uint)token;
        if (!IsLive(token, slot))
        {
            return CqeKind.Stale;
        }

        ref Slot s = ref _slots[slot];
        value = s.Value;
        if ((cqeFlags & IORING_CQE_F_NOTIF) != 0)
        {
            if ((s.State & NotificationSeen) != 0)
            {
                return CqeKind.Stale; // a second notification for one request: never from the kernel
            }

            s.State |= NotificationSeen;
            released = (s.State & RequestSeen) != 0;
            if (released)
            {
                Free(slot);
            }

            return CqeKind.Notification;
        }

        if ((s.State & RequestSeen) != 0)
        {
            return CqeKind.Stale;
        }

        s.State |= RequestSeen;
        if ((cqeFlags & IORING_CQE_F_MORE) != 0)
        {
            s.State |= NotificationExpected;
        }

        // Released now when no notification will come, or when it was reaped first.
        released = (cqeFlags & IORING_CQE_F_MORE) == 0 || (s.State & NotificationSeen) != 0;
        if (released)
        {
            Free(slot);
        }

        return CqeKind.Request;
    }

    private bool IsLive(ulong token, int slot)
        => (uint)slot < (uint)_slots.Length && (_slots[slot].State & InUse) != 0 && _slots[slot].Generation == (uint)(token >> 32);

    private void Free(int slot)
    {
        _slots[slot].State = 0;
        _slots[slot].Value = default!;
        _free[_freeCount++] = slot;
    }

    private void Grow()
    {
        int old = _slots.Length;
        int size = Math.Max(16, old * 2);
        Array.Resize(ref _slots, size);
        Array.Resize(ref _free, size);
        for (int i = size - 1; i >= old; i--)
        {
            _free[_freeCount++] = i;
        }
    }

    private struct Slot
    {
        public T Value;
        public uint Generation;
        public byte State;
    }
}
