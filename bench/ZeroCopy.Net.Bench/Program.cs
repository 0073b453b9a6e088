// BenchmarkDotNet entry point: dotnet run -c Release --project bench/ZeroCopy.Net.Bench -- --filter '*'
using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(ZeroCopy.Net.Bench.SmallFileSendBenchmarks).Assembly).Run(args);
