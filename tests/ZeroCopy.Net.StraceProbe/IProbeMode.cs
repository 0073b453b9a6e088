using System.Threading.Tasks;

namespace ZeroCopy.Net.StraceProbe;

/// <summary>
/// One thing the probe can do under strace. Implementations are found by reflection (public,
/// parameterless constructor), so a new mode is one new file.
/// </summary>
/// <remarks>
/// Contract with the tests: write <c>key=value</c> lines to stdout (at least <c>socket-fd=</c>,
/// the descriptor whose syscalls matter, and <c>verified=true|false</c>), and return 0 only when
/// every byte the peer received was checked.
/// </remarks>
public interface IProbeMode
{
    /// <summary>The first command-line argument that selects this mode, e.g. "sendfile".</summary>
    string Name { get; }

    /// <summary>One line of usage, without the program name.</summary>
    string Usage { get; }

    /// <summary>Runs the mode with the arguments after the mode name; returns the exit code.</summary>
    Task<int> RunAsync(string[] args);
}
