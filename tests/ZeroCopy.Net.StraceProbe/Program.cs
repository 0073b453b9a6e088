using System;
using System.Linq;
using System.Threading.Tasks;
using ZeroCopy.Net.StraceProbe;

IProbeMode[] modes = typeof(IProbeMode).Assembly.GetTypes()
    .Where(t => typeof(IProbeMode).IsAssignableFrom(t) && t is { IsClass: true, IsAbstract: false })
    .Select(t => (IProbeMode)Activator.CreateInstance(t)!)
    .OrderBy(m => m.Name, StringComparer.Ordinal)
    .ToArray();

IProbeMode? mode = args.Length > 0 ? modes.FirstOrDefault(m => m.Name == args[0]) : null;
if (mode is null)
{
    Console.Error.WriteLine("usage: ZeroCopy.Net.StraceProbe <mode> [args]");
    foreach (IProbeMode m in modes)
    {
        Console.Error.WriteLine($"  {m.Name} {m.Usage}");
    }

    return 2;
}

return await mode.RunAsync(args.Skip(1).ToArray());
