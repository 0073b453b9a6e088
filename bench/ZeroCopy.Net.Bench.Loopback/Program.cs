// Loopback harness for SendFileAsync. One invocation compares every method on every size:
//
//   dotnet run -c Release --project bench/ZeroCopy.Net.Bench.Loopback -- [--sizes 16K,1M,1G] [--rounds 5]
//       [--methods zc-handle,zc-path,bcl-path,copy-loop] [--markdown results.md]
//
// The orchestrator (no verb) starts one receiver process, then runs every (size, method) sample in a
// fresh sender process, interleaving methods round by round so drift in machine load hits them
// alike. Separate processes keep each number honest: the sender's CPU time is only the sender's
// (the receiver's copy to user space is charged to the receiver process), the BCL's leaked file
// descriptors die with their process, and one method's heap or JIT state cannot help another.
// After the table, a paired run per size (`--paired`, default on for sizes of 1 MiB and up) alternates
// the library and the BCL in one process on one connection, batch by batch, to resolve a few percent
// on a noisy machine. Verbs used internally: `receive`, `send ...` and `paired ...`.
using System;
using System.Threading.Tasks;
using ZeroCopy.Net.Bench.Loopback;

return args.Length > 0 && args[0] == "receive" ? Receiver.Run()
    : args.Length > 0 && args[0] == "send" ? await Sender.RunAsync(args.AsSpan(1).ToArray())
    : args.Length > 0 && args[0] == "paired" ? await Paired.RunAsync(args.AsSpan(1).ToArray())
    : await Orchestrator.RunAsync(args);
