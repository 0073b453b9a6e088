using System;
using System.Collections.Generic;
using System.Linq;
using FsCheck;
using FsCheck.Fluent;
using Xunit;
using ZeroCopy.Net.Platform.Linux;

namespace ZeroCopy.Net.Tests.Pinned;

/// <summary>
/// The completion tracker plays the kernel's side of MSG_ZEROCOPY: these properties drive it with
/// any interleaving of sends (some failing), and completion ranges that are coalesced, out of order,
/// duplicated and wrapping past 2^32, and check that every send is released exactly once and never
/// before a range covering it arrived.
/// </summary>
public class CompletionTrackerProperties
{
    public sealed record Schedule(uint Start, int Sends, int Seed, bool Duplicates, bool Failures);

    private static Arbitrary<Schedule> Schedules =>
        (from nearWrap in Gen.Elements(true, false)
         from offset in Gen.Choose(0, 300)
         from anyStart in Gen.Choose(int.MinValue, int.MaxValue)
         from sends in Gen.Choose(0, 400)
         from seed in Gen.Choose(0, int.MaxValue)
         from duplicates in Gen.Elements(true, false)
         from failures in Gen.Elements(true, false)
         select new Schedule(nearWrap ? uint.MaxValue - (uint)offset : unchecked((uint)anyStart), sends, seed, duplicates, failures)).ToArbitrary();

    [Fact]
    public void EverySendIsReleasedExactlyOnceAndNeverBeforeItsRange()
    {
        Prop.ForAll(Schedules, s => Run(s) is null).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void ExplicitWrapAndCoalescedCase()
    {
        // Sends take 2^32-2, 2^32-1, 0, 1, 2; one coalesced range wraps past zero, then an out-of-order tail.
        var released = new List<int>();
        var tracker = new ZeroCopyCompletionTracker<int>((item, copied) => released.Add(item), firstSequence: uint.MaxValue - 1, initialCapacity: 2);
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(unchecked(uint.MaxValue - 1 + (uint)i), tracker.Append(i));
        }

        Assert.Equal(1, tracker.Complete(2, 2, copied: false));
        Assert.Equal(new[] { 4 }, released);
        Assert.Equal(4, tracker.Outstanding);
        Assert.Equal(3, tracker.Complete(uint.MaxValue - 1, 0, copied: true));
        Assert.Equal(new[] { 4, 0, 1, 2 }, released);
        Assert.Equal(1, tracker.Outstanding);
        Assert.Equal(1, tracker.Complete(0, 1, copied: false)); // 0 again is a duplicate
        Assert.Equal(1, tracker.UnmatchedNumbers);
        Assert.Equal(0, tracker.Outstanding);
        Assert.Equal(new[] { 4, 0, 1, 2, 3 }, released);
    }

    [Fact]
    public void AFailedSendIsTakenBackAndItsNumberReused()
    {
        var released = new List<string>();
        var tracker = new ZeroCopyCompletionTracker<string>((item, copied) => released.Add(item), firstSequence: uint.MaxValue);
        Assert.Equal(uint.MaxValue, tracker.Append("a"));
        Assert.Equal(0u, tracker.Append("failed"));
        Assert.Equal("failed", tracker.RemoveLast());
        Assert.Equal(0u, tracker.Append("b"));
        Assert.Equal(2, tracker.Complete(uint.MaxValue, 0, copied: false));
        Assert.Equal(new[] { "a", "b" }, released);
        Assert.Equal(0, tracker.Outstanding);
    }

    [Fact]
    public void AbandonReturnsOnlyTheUncompletedSends()
    {
        var released = new List<int>();
        var abandoned = new List<int>();
        var tracker = new ZeroCopyCompletionTracker<int>((item, copied) => released.Add(item));
        for (int i = 0; i < 6; i++)
        {
            tracker.Append(i);
        }

        tracker.Complete(1, 2, copied: false);
        tracker.Complete(5, 5, copied: false);
        Assert.Equal(3, tracker.AbandonAll(abandoned.Add));
        Assert.Equal(new[] { 0, 3, 4 }, abandoned);
        Assert.Equal(0, tracker.Outstanding);
        Assert.Equal(6u, tracker.NextSequence);
    }

    /// <summary>Returns null when the schedule passes, else what went wrong.</summary>
    private static string? Run(Schedule s)
    {
        var random = new Random(s.Seed);
        var covered = new HashSet<int>();          // sends a delivered range has covered
        var releasedCount = new Dictionary<int, int>();
        string? failure = null;
        var tracker = new ZeroCopyCompletionTracker<int>(
            (item, copied) =>
            {
                releasedCount[item] = releasedCount.TryGetValue(item, out int c) ? c + 1 : 1;
                if (!covered.Contains(item))
                {
                    failure ??= $"send {item} released before a range covered it";
                }
            },
            s.Start,
            initialCapacity: 4);

        // The kernel's view: contiguous chunks of send indices, each becoming deliverable once all its sends are made.
        var chunks = new List<(int Lo, int Hi)>();
        for (int i = 0; i < s.Sends;)
        {
            int size = random.Next(1, 12);
            int hi = Math.Min(s.Sends - 1, i + size - 1);
            chunks.Add((i, hi));
            i = hi + 1;
        }

        var pending = new List<(int Lo, int Hi)>();
        int nextChunk = 0;
        int made = 0;
        long duplicatesSent = 0;
        while (made < s.Sends || pending.Count > 0)
        {
            bool send = made < s.Sends && (pending.Count == 0 || random.Next(3) != 0);
            if (send)
            {
                if (s.Failures && random.Next(5) == 0)
                {
                    tracker.Append(-1);
                    if (tracker.RemoveLast() != -1)
                    {
                        return "RemoveLast returned the wrong send";
                    }
                }

                uint sequence = tracker.Append(made);
                if (sequence != unchecked(s.Start + (uint)made))
                {
                    return $"send {made} took {sequence}";
                }

                made++;
                while (nextChunk < chunks.Count && chunks[nextChunk].Hi < made)
                {
                    pending.Add(chunks[nextChunk++]);
                }

                continue;
            }

            // Deliver a random pending chunk (out of order), sometimes coalesced with its neighbour.
            int pick = random.Next(pending.Count);
            (int lo, int hi) = pending[pick];
            pending.RemoveAt(pick);
            for (int i = lo; i <= hi; i++)
            {
                covered.Add(i);
            }

            tracker.Complete(unchecked(s.Start + (uint)lo), unchecked(s.Start + (uint)hi), copied: random.Next(2) == 0);
            if (s.Duplicates && random.Next(4) == 0)
            {
                // A range the kernel already reported (or a part of it): must release nothing.
                int dlo = random.Next(lo, hi + 1);
                duplicatesSent += hi - dlo + 1;
                if (tracker.Complete(unchecked(s.Start + (uint)dlo), unchecked(s.Start + (uint)hi), copied: false) != 0)
                {
                    return "a duplicate range released something";
                }
            }
        }

        if (failure is not null)
        {
            return failure;
        }

        if (releasedCount.Count != s.Sends || releasedCount.Values.Any(c => c != 1))
        {
            return "not every send was released exactly once";
        }

        if (tracker.Outstanding != 0 || tracker.UnmatchedNumbers != duplicatesSent)
        {
            return $"outstanding {tracker.Outstanding}, unmatched {tracker.UnmatchedNumbers} (expected {duplicatesSent})";
        }

        return null;
    }
}
