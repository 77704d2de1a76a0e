using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Tally.Server.Tests.Infrastructure;

/// <summary>
/// One PostgreSQL server for the whole test run: <c>TALLY_TEST_POSTGRES</c> when set (a connection string to a server
/// where the user may CREATE DATABASE), else a throwaway cluster started from the machine's <c>initdb</c>/<c>pg_ctl</c>
/// (as the <c>postgres</c> user when the tests run as root). A missing PostgreSQL fails the tests that need it.
/// </summary>
public static class PostgresServer
{
    private static readonly Lazy<Task<string>> Admin = new(StartAsync);

    /// <summary>Creates a fresh database and returns its connection string.</summary>
    public static async Task<string> CreateDatabaseAsync()
    {
        var admin = await Admin.Value;
        var name = "tally_test_" + Guid.NewGuid().ToString("N")[..12];
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await create.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(admin) { Database = name, Pooling = true }.ConnectionString;
    }

    private static async Task<string> StartAsync()
    {
        if (Environment.GetEnvironmentVariable("TALLY_TEST_POSTGRES") is { Length: > 0 } given)
        {
            return given;
        }

        var bin = FindBinDirectory()
            ?? throw new InvalidOperationException("PostgreSQL server binaries (initdb, pg_ctl) were not found on PATH or in /usr/lib/postgresql/*/bin. Install PostgreSQL or set TALLY_TEST_POSTGRES.");
        var root = Path.Combine(Path.GetTempPath(), "tally-pg-" + Guid.NewGuid().ToString("N")[..8]);
        var data = Path.Combine(root, "data");
        Directory.CreateDirectory(root);
        var asRoot = Environment.UserName == "root";
        if (asRoot)
        {
            await RunAsync("chown", $"postgres {root}");
        }

        var port = FreePort();
        await RunPgAsync(asRoot, Path.Combine(bin, "initdb"), $"-D {data} -U tally --auth=trust --no-sync -E UTF8 --locale=C.UTF-8");
        var settings = $"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300";
        await RunPgAsync(asRoot, Path.Combine(bin, "pg_ctl"), $"-D {data} -l {Path.Combine(root, "log")} -o \"{settings}\" -w -t 60 start");
        // Stopped and removed once the test host has ended, however it ends: the runner may kill the host before exit
        // handlers run. Kept outside TestFiles.Directory, whose removal must not race with pg_ctl reading the data directory.
        TestFiles.AfterExit($"{(asRoot ? "runuser -u postgres -- " : "")}{Path.Combine(bin, "pg_ctl")} -D {data} -m immediate stop; rm -rf {root}");
        return $"Host=127.0.0.1;Port={port};Username=tally;Database=postgres;Pooling=false";
    }

    private static string? FindBinDirectory()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':'))
        {
            if (File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl")))
            {
                return dir;
            }
        }

        return Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "initdb"))).OrderDescending().FirstOrDefault()
            : null;
    }

    private static Task RunPgAsync(bool asRoot, string exe, string arguments) =>
        asRoot ? RunAsync("runuser", $"-u postgres -- {exe} {arguments}") : RunAsync(exe, arguments);

    private static async Task RunAsync(string exe, string arguments)
    {
        var start = new ProcessStartInfo(exe, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/tmp" };
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {exe}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{exe} {arguments} exited {process.ExitCode}: {await stdout} {await stderr}");
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
