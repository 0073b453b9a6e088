using System;
using System.Diagnostics;

namespace ZeroCopy.Net.Platform.Linux;

/// <summary>
/// The pure bookkeeping of MSG_ZEROCOPY completions for one socket: which send calls are still
/// waiting for the kernel, and which of them a completion range releases.
/// </summary>
/// <remarks>
/// <para>The protocol (Documentation/networking/msg_zerocopy.rst): every <em>successful</em>
/// sendmsg(MSG_ZEROCOPY) on a socket takes the next number of a 32-bit per-socket counter that
/// starts at 0 and wraps after 2^32 calls. A failed call (EAGAIN, ENOBUFS, EPIPE, ...) and a
/// zero-length call take none. The kernel later queues notifications on the socket's error queue,
/// each an inclusive range [lo, hi] of those numbers, count = hi - lo + 1 in u32 arithmetic. Ranges
/// are coalesced while one is queued and usually arrive in order, but may arrive out of order
/// (retransmission, teardown), so a single "completed up to" cursor is wrong.</para>
/// <para>This tracker keeps the sends still outstanding as a window [head, tail) of sequence numbers
/// in a ring of slots, each slot remembering whether its send completed. A completion range is
/// intersected with the window in u32 arithmetic (so ranges that wrap past 2^32, or that name
/// numbers already released or never used, are handled) and releases each send in it exactly once;
/// the head then advances over the completed prefix. The set of completed-but-not-yet-head slots is
/// the "set of intervals" the protocol needs, stored as one bit per outstanding send.</para>
/// <para>A send is appended <em>before</em> its sendmsg: on a device that frees the packet inside
/// the call the completion can be queued, and drained by the reactor thread, before sendmsg even
/// returns. When the call then fails, <see cref="RemoveLast"/> takes the slot back (a failed call
/// consumes no number).</para>
/// <para>Not thread-safe: the owner serialises calls (a thin lock, one compare-exchange when
/// uncontended). Release callbacks run inside that serialisation and must not call back in.</para>
/// </remarks>
/// <typeparam name="T">What each send call holds until the kernel releases it.</typeparam>
internal sealed class ZeroCopyCompletionTracker<T>
{
    private readonly Action<T, bool> _release;
    private T[] _items;
    private bool[] _completed;
    private uint _head;
    private int _count;
    private int _completedInWindow;

    /// <summary>Creates a tracker whose first send takes <paramref name="firstSequence"/> (0 for a fresh socket; tests start near 2^32).</summary>
    /// <param name="release">Called once per send when a completion covers it; the bool is the COPIED code of that completion.</param>
    /// <param name="firstSequence">The sequence number the next successful send will take.</param>
    /// <param name="initialCapacity">Initial ring size (a power of two); grows when more sends are outstanding.</param>
    public ZeroCopyCompletionTracker(Action<T, bool> release, uint firstSequence = 0, int initialCapacity = 64)
    {
        Debug.Assert(initialCapacity > 0 && (initialCapacity & (initialCapacity - 1)) == 0, "capacity must be a power of two");
        _release = release;
        _head = firstSequence;
        _items = new T[initialCapacity];
        _completed = new bool[initialCapacity];
    }

    /// <summary>Sends handed to the kernel and not yet released.</summary>
    public int Outstanding => _count - _completedInWindow;

    /// <summary>The sequence number the next appended send takes.</summary>
    public uint NextSequence => unchecked(_head + (uint)_count);

    /// <summary>Completion numbers that matched no outstanding send (duplicates, or sends this tracker never saw).</summary>
    public long UnmatchedNumbers { get; private set; }

    /// <summary>Records a send about to be made; returns the sequence number it will take if it succeeds.</summary>
    public uint Append(T item)
    {
        if (_count == _items.Length)
        {
            Grow();
        }

        uint sequence = NextSequence;
        int slot = SlotOf(sequence);
        _items[slot] = item;
        _completed[slot] = false;
        _count++;
        return sequence;
    }

    /// <summary>Takes back the last appended send because its sendmsg failed (so it consumed no number).</summary>
    public T RemoveLast()
    {
        Debug.Assert(_count > 0, "nothing to remove");
        uint sequence = unchecked(NextSequence - 1);
        int slot = SlotOf(sequence);
        Debug.Assert(!_completed[slot], "a failed send cannot have completed");
        T item = _items[slot];
        _items[slot] = default!;
        _count--;
        return item;
    }

    /// <summary>
    /// Applies one notification: releases every outstanding send in the inclusive range
    /// [<paramref name="lo"/>, <paramref name="hi"/>] (u32, may wrap) exactly once.
    /// </summary>
    /// <returns>The number of sends this range released.</returns>
    public int Complete(uint lo, uint hi, bool copied)
    {
        // Everything relative to the head, in u32 arithmetic: position p of the window is sequence head + p.
        uint start = unchecked(lo - _head);
        uint end = unchecked(hi - _head);
        ulong rangeLength = (ulong)unchecked(hi - lo) + 1;
        int released = 0;
        if (start <= end)
        {
            // The range does not pass the head: [start, end] in window coordinates.
            released += CompleteWindow(start, end, copied);
        }
        else
        {
            // The range contains the head (it starts "before" it): [start, 2^32) and [0, end].
            released += CompleteWindow(0, end, copied);
            released += CompleteWindow(start, uint.MaxValue, copied);
        }

        UnmatchedNumbers += (long)rangeLength - released;
        AdvanceHead();
        return released;
    }

    /// <summary>Removes every outstanding send without a completion (the socket is going away); returns how many.</summary>
    public int AbandonAll(Action<T> abandon)
    {
        int abandoned = 0;
        for (int p = 0; p < _count; p++)
        {
            int slot = SlotOf(unchecked(_head + (uint)p));
            if (!_completed[slot])
            {
                abandon(_items[slot]);
                abandoned++;
            }

            _items[slot] = default!;
            _completed[slot] = false;
        }

        _head = NextSequence;
        _count = 0;
        _completedInWindow = 0;
        return abandoned;
    }

    /// <summary>
    /// Replaces the item recorded for <paramref name="sequence"/> while it is still outstanding (a
    /// partial send corrects its byte count); false when it was already released (or never recorded).
    /// </summary>
    public bool TryReplace(uint sequence, T item)
    {
        uint position = unchecked(sequence - _head);
        if (position >= (uint)_count)
        {
            return false;
        }

        int slot = SlotOf(sequence);
        if (_completed[slot])
        {
            return false;
        }

        _items[slot] = item;
        return true;
    }

    private int CompleteWindow(uint from, uint to, bool copied)
    {
        if (from >= (uint)_count)
        {
            return 0;
        }

        uint last = Math.Min(to, (uint)_count - 1);
        int released = 0;
        for (uint p = from; p <= last; p++)
        {
            int slot = SlotOf(unchecked(_head + p));
            if (_completed[slot])
            {
                continue;
            }

            _completed[slot] = true;
            _completedInWindow++;
            T item = _items[slot];
            _items[slot] = default!;
            released++;
            _release(item, copied);
        }

        return released;
    }

    private void AdvanceHead()
    {
        while (_count > 0)
        {
            int slot = SlotOf(_head);
            if (!_completed[slot])
            {
                break;
            }

            _completed[slot] = false;
            _completedInWindow--;
            _head = unchecked(_head + 1);
            _count--;
        }
    }

    private int SlotOf(uint sequence) => (int)(sequence & (uint)(_items.Length - 1));

    private void Grow()
    {
        var items = new T[_items.Length * 2];
        var completed = new bool[_items.Length * 2];
        for (int p = 0; p < _count; p++)
        {
            uint sequence = unchecked(_head + (uint)p);
            int from = SlotOf(sequence);
            int to = (int)(sequence & (uint)(items.Length - 1));
            items[to] = _items[from];
            completed[to] = _completed[from];
        }

        _items = items;
        _completed = completed;
    }
}
