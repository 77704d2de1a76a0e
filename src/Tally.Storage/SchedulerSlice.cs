using System.Runtime.InteropServices;

namespace Tally.Storage;

/// <summary>
/// Asks Linux's EEVDF scheduler (kernel 6.12 and later) for a shorter time slice for the calling thread: a thread with a
/// shorter slice than the one running may preempt it on wake-up, so it waits less for a CPU after its I/O completes.
/// Unprivileged (unlike a lower nice value), and it does not raise the thread's share of CPU time. Elsewhere (other
/// systems, older kernels, which ignore or refuse the field) nothing changes.
/// </summary>
internal static class SchedulerSlice
{
    /// <summary>The slice the admission writer asks for: EEVDF's lower bound.</summary>
    public static readonly TimeSpan Shortest = TimeSpan.FromMicroseconds(100);

    /// <summary>True when the kernel accepted <paramref name="slice"/> for the calling thread; never throws.</summary>
    public static bool TryRequest(TimeSpan slice)
    {
        long number = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => 314,
            Architecture.Arm64 => 274,
            _ => -1,
        };
        if (!OperatingSystem.IsLinux() || number < 0)
        {
            return false;
        }

        // SCHED_OTHER at nice 0 (a thread's default) with sched_runtime = the slice requested, in nanoseconds.
        var attributes = new SchedAttr { Size = (uint)Marshal.SizeOf<SchedAttr>(), Runtime = (ulong)(slice.Ticks * 100) };
        try
        {
            return SchedSetAttr(number, 0, ref attributes, 0) == 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [DllImport("libc", EntryPoint = "syscall", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern long SchedSetAttr(long number, int threadId, ref SchedAttr attributes, uint flags);

    /// <summary><c>struct sched_attr</c> (linux/sched/types.h), first version with the utilisation clamps: 56 bytes.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct SchedAttr
    {
        public uint Size;
        public uint Policy;
        public ulong Flags;
        public int Nice;
        public uint Priority;
        public ulong Runtime;
        public ulong Deadline;
        public ulong Period;
        public uint UtilMin;
        public uint UtilMax;
    }
}
