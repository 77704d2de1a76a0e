using System.Diagnostics;

namespace Tally.Server.Tests.Infrastructure;

/// <summary>
/// One directory per test run for the files tests create (SQLite databases and their WAL, catalogs, PDFs, working
/// directories of <c>tally</c> processes), removed by a reaper (<see cref="AfterExit"/>) when the test host ends: the
/// runner may kill the host before exit handlers run, so the reaper is the one way of cleaning up.
/// </summary>
public static class TestFiles
{
    private static readonly Lazy<string> Root = new(CreateRoot);

    /// <summary>This run's directory (created at first use).</summary>
    public static string Directory => Root.Value;

    /// <summary>A new path in this run's directory: <paramref name="prefix"/>-GUID<paramref name="extension"/>; nothing is created.</summary>
    public static string NewPath(string prefix, string extension) => Path.Combine(Root.Value, $"{prefix}-{Guid.NewGuid():N}{extension}");

    /// <summary>
    /// Runs <paramref name="shellCommand"/> (sh) once this process has ended, however it ends: a shell in a session of
    /// its own, with no input or output, waits for this process id to go away. The command must be harmless when what it
    /// cleans up is gone already.
    /// </summary>
    public static void AfterExit(string shellCommand)
    {
        var script = $"exec >/dev/null 2>&1 </dev/null; while kill -0 {Environment.ProcessId} 2>/dev/null; do sleep 1; done; {shellCommand}";
        var start = new ProcessStartInfo("setsid", ["sh", "-c", script])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, WorkingDirectory = "/",
        };
        using var reaper = Process.Start(start) ?? throw new InvalidOperationException("Could not start a reaper (setsid sh).");
    }

    private static string CreateRoot()
    {
        var root = Path.Combine(Path.GetTempPath(), $"tally-tests-{Guid.NewGuid():N}"[..20]);
        System.IO.Directory.CreateDirectory(root);
        AfterExit($"rm -rf {root}");
        return root;
    }
}
