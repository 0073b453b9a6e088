using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ZeroCopy.Net.Analyzers;

internal enum FlowEventKind
{
    /// <summary>A send took <see cref="FlowEvent.Symbol"/> (optionally until <see cref="FlowEvent.Key"/>'s release is awaited).</summary>
    Take,

    /// <summary><see cref="FlowEvent.Symbol"/> was assigned: it holds something else now.</summary>
    Reassign,

    /// <summary>Everything taken until <see cref="FlowEvent.Symbol"/>'s release is free again.</summary>
    Release,

    /// <summary>A use that is a mistake while <see cref="FlowEvent.Symbol"/> is taken.</summary>
    Use,
}

internal readonly struct FlowEvent
{
    public FlowEvent(FlowEventKind kind, ISymbol symbol, IOperation operation, int position, ISymbol? key = null, string? taker = null, DiagnosticDescriptor? rule = null)
    {
        Rule = rule;
        Kind = kind;
        Symbol = symbol;
        Operation = operation;
        Position = position;
        Key = key;
        Taker = taker;
    }

    public FlowEventKind Kind { get; }

    public ISymbol Symbol { get; }

    public IOperation Operation { get; }

    /// <summary>Where in the source the event happens (orders events inside one basic block).</summary>
    public int Position { get; }

    /// <summary>For <see cref="FlowEventKind.Take"/>: the release whose WhenReleased gives the symbol back, if any.</summary>
    public ISymbol? Key { get; }

    /// <summary>For <see cref="FlowEventKind.Take"/>: the method that took it (for the message).</summary>
    public string? Taker { get; }

    /// <summary>For <see cref="FlowEventKind.Use"/>: the rule a use while taken breaks.</summary>
    public DiagnosticDescriptor? Rule { get; }
}

/// <summary>
/// A forward "may be taken" analysis over the control flow graph: a use is reported when some path
/// from a take reaches it without a reassignment or release in between (loops included). Catch and
/// finally regions start from nothing taken (their code is the cleanup of a send that may not have
/// started), and lambdas and local functions are analysed on their own.
/// </summary>
internal static class OwnershipFlow
{
    private readonly struct Taken
    {
        public Taken(ISymbol symbol, ISymbol? key, string taker)
        {
            Symbol = symbol;
            Key = key;
            Taker = taker;
        }

        public ISymbol Symbol { get; }

        public ISymbol? Key { get; }

        public string Taker { get; }
    }

    private sealed class TakenComparer : IEqualityComparer<Taken>
    {
        public static readonly TakenComparer Instance = new();

        public bool Equals(Taken x, Taken y) =>
            SymbolEqualityComparer.Default.Equals(x.Symbol, y.Symbol) &&
            SymbolEqualityComparer.Default.Equals(x.Key, y.Key) &&
            x.Taker == y.Taker;

        public int GetHashCode(Taken obj) => SymbolEqualityComparer.Default.GetHashCode(obj.Symbol) ^ obj.Taker.GetHashCode();
    }

    /// <summary>Runs the analysis; <paramref name="report"/> gets each mistaken use once, with the taker's name.</summary>
    public static void Analyze(ControlFlowGraph graph, System.Func<IOperation, IEnumerable<FlowEvent>> classify, System.Action<FlowEvent, string> report)
    {
        ImmutableArray<BasicBlock> blocks = graph.Blocks;
        var events = new List<FlowEvent>[blocks.Length];
        bool any = false;
        for (int i = 0; i < blocks.Length; i++)
        {
            events[i] = new List<FlowEvent>();
            foreach (IOperation operation in BlockOperations(blocks[i]))
            {
                foreach (IOperation node in operation.DescendantsAndSelf())
                {
                    events[i].AddRange(classify(node));
                }
            }

            events[i].Sort((a, b) => a.Position.CompareTo(b.Position));
            any |= events[i].Exists(e => e.Kind == FlowEventKind.Take);
        }

        if (any)
        {
            Solve(blocks, events, report);
        }

        foreach (IMethodSymbol localFunction in graph.LocalFunctions)
        {
            Analyze(graph.GetLocalFunctionControlFlowGraph(localFunction), classify, report);
        }

        foreach (BasicBlock block in blocks)
        {
            foreach (IOperation operation in BlockOperations(block))
            {
                foreach (IOperation node in operation.DescendantsAndSelf())
                {
                    if (node is IFlowAnonymousFunctionOperation lambda)
                    {
                        Analyze(graph.GetAnonymousFunctionControlFlowGraph(lambda), classify, report);
                    }
                }
            }
        }
    }

    private static IEnumerable<IOperation> BlockOperations(BasicBlock block)
    {
        foreach (IOperation operation in block.Operations)
        {
            yield return operation;
        }

        if (block.BranchValue is not null)
        {
            yield return block.BranchValue;
        }
    }

    private static void Solve(ImmutableArray<BasicBlock> blocks, List<FlowEvent>[] events, System.Action<FlowEvent, string> report)
    {
        var entry = new ImmutableHashSet<Taken>?[blocks.Length];
        entry[0] = ImmutableHashSet.Create<Taken>(TakenComparer.Instance);
        var work = new Queue<int>();
        work.Enqueue(0);
        while (work.Count > 0)
        {
            int ordinal = work.Dequeue();
            ImmutableHashSet<Taken> state = Apply(entry[ordinal]!, events[ordinal], null);
            foreach (ControlFlowBranch? branch in new[] { blocks[ordinal].FallThroughSuccessor, blocks[ordinal].ConditionalSuccessor })
            {
                if (branch?.Destination is not { } destination)
                {
                    continue;
                }

                ImmutableHashSet<Taken>? before = entry[destination.Ordinal];
                ImmutableHashSet<Taken> after = before is null ? state : before.Union(state);
                if (before is null || after.Count != before.Count)
                {
                    entry[destination.Ordinal] = after;
                    work.Enqueue(destination.Ordinal);
                }
            }
        }

        for (int i = 0; i < blocks.Length; i++)
        {
            if (entry[i] is { } start)
            {
                Apply(start, events[i], report);
            }
        }
    }

    private static ImmutableHashSet<Taken> Apply(ImmutableHashSet<Taken> state, List<FlowEvent> events, System.Action<FlowEvent, string>? report)
    {
        foreach (FlowEvent e in events)
        {
            switch (e.Kind)
            {
                case FlowEventKind.Take:
                    state = state.Add(new Taken(e.Symbol, e.Key, e.Taker!));
                    break;
                case FlowEventKind.Reassign:
                    state = state.Except(Matching(state, t => SymbolEqualityComparer.Default.Equals(t.Symbol, e.Symbol)));
                    break;
                case FlowEventKind.Release:
                    state = state.Except(Matching(state, t => SymbolEqualityComparer.Default.Equals(t.Key, e.Symbol)));
                    break;
                case FlowEventKind.Use when report is not null:
                    foreach (Taken taken in state)
                    {
                        if (SymbolEqualityComparer.Default.Equals(taken.Symbol, e.Symbol))
                        {
                            report(e, taken.Taker);
                            break;
                        }
                    }

                    break;
            }
        }

        return state;
    }

    private static List<Taken> Matching(ImmutableHashSet<Taken> state, System.Func<Taken, bool> predicate)
    {
        var result = new List<Taken>();
        foreach (Taken taken in state)
        {
            if (predicate(taken))
            {
                result.Add(taken);
            }
        }

        return result;
    }
}
