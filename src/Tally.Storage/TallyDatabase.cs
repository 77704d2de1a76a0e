using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Npgsql;

namespace Tally.Storage;

/// <summary>
/// One configured database: the engine, its connection factory and EF options. Singleton per process.
/// <paramref name="connection"/> is a SQLite file path / <c>Data Source=...</c> string, or a PostgreSQL
/// connection string (<c>Host=...</c>) or URI (<c>postgres://...</c>).
/// </summary>
public sealed class TallyDatabase : IAsyncDisposable
{
    private readonly NpgsqlDataSource? _npgsql;
    private readonly DbContextOptions<PostgresTallyDbContext>? _postgresOptions;
    private readonly DbContextOptions<SqliteTallyDbContext>? _sqliteOptions;

    public TallyDatabase(string connection)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connection);
        Engine = DetectEngine(connection);
        if (Engine == DatabaseEngine.Postgres)
        {
            var builder = new NpgsqlConnectionStringBuilder(ToKeyValue(connection));
            if (builder.MaxPoolSize == 100)
            {
                builder.MaxPoolSize = 64;
            }

            // Pooled connections skip DISCARD ALL, and repeated statements are prepared server-side.
            builder.NoResetOnClose = true;
            if (builder.MaxAutoPrepare == 0)
            {
                builder.MaxAutoPrepare = 32;
            }

            ConnectionString = builder.ConnectionString;
            _npgsql = NpgsqlDataSource.Create(ConnectionString);
            _postgresOptions = new DbContextOptionsBuilder<PostgresTallyDbContext>()
                .UseNpgsql(_npgsql)
                .ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning))
                .Options;
        }
        else
        {
            var builder = connection.Contains('=', StringComparison.Ordinal)
                ? new SqliteConnectionStringBuilder(connection)
                : new SqliteConnectionStringBuilder { DataSource = connection };
            builder.Pooling = true;
            builder.DefaultTimeout = 30;
            ConnectionString = builder.ConnectionString;
            _sqliteOptions = new DbContextOptionsBuilder<SqliteTallyDbContext>()
                .UseSqlite(ConnectionString)
                .AddInterceptors(SqlitePragmaInterceptor.Instance)
                .ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning))
                .Options;
        }
    }



    /// <summary>
    /// Run on every SQLite connection: FULL sync, so a committed write (an acknowledged request) survives power loss as
    /// well as a crash; writers wait up to 30 s for the file lock.
    /// </summary>
    public const string SqlitePragmas = "PRAGMA synchronous=FULL; PRAGMA busy_timeout=30000;";

    public DatabaseEngine Engine { get; }

    public string ConnectionString { get; }

    /// <summary>Human-readable location without secrets (file path, or host/database).</summary>
    public string Describe()
    {
        if (Engine == DatabaseEngine.Sqlite)
        {
            return $"SQLite {new SqliteConnectionStringBuilder(ConnectionString).DataSource}";
        }

        var pg = new NpgsqlConnectionStringBuilder(ConnectionString);
        return $"PostgreSQL {pg.Host}/{pg.Database}";
    }

    public static DatabaseEngine DetectEngine(string connection)
    {
        var c = connection.TrimStart();
        return c.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase)
            || c.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)
            || c.Contains("Host=", StringComparison.OrdinalIgnoreCase)
            || c.Contains("Server=", StringComparison.OrdinalIgnoreCase)
                ? DatabaseEngine.Postgres
                : DatabaseEngine.Sqlite;
    }

    /// <summary>Opens a pooled connection. SQLite connections get WAL-friendly pragmas.</summary>
    public async ValueTask<DbConnection> OpenConnectionAsync(CancellationToken ct = default)
    {
        if (_npgsql is not null)
        {
            return await _npgsql.OpenConnectionAsync(ct).ConfigureAwait(false);
        }

        var connection = new SqliteConnection(ConnectionString);
        await connection.OpenAsync(ct).ConfigureAwait(false);
        await using var pragma = connection.CreateCommand();
        pragma.CommandText = SqlitePragmas;
        await pragma.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        return connection;
    }

    /// <summary>A new EF context on this database. Callers dispose it.</summary>
    public TallyDbContext CreateContext() => _postgresOptions is not null
        ? new PostgresTallyDbContext(_postgresOptions)
        : new SqliteTallyDbContext(_sqliteOptions!);

    /// <summary>Key of the PostgreSQL advisory lock that serialises migrations: "tallymig" in ASCII.</summary>
    internal const long PostgresMigrationLock = 0x74616c6c796d6967;

    /// <summary>
    /// Applies pending migrations (and, on SQLite, switches the file to WAL). Safe to run from several processes at
    /// once: on PostgreSQL they take turns under a session advisory lock (<see cref="PostgresMigrationLock"/>), as EF's
    /// own lock let two servers started together on an empty database both create the first tables (42P07); SQLite's
    /// file lock and EF's lock table serialise them there.
    /// </summary>
    public async Task MigrateAsync(CancellationToken ct = default)
    {
        await using var context = CreateContext();
        if (_npgsql is null)
        {
            await context.Database.MigrateAsync(ct).ConfigureAwait(false);
            await context.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", ct).ConfigureAwait(false);
            return;
        }

        await using var connection = await _npgsql.OpenConnectionAsync(ct).ConfigureAwait(false);
        await AdvisoryLockAsync(connection, "pg_advisory_lock", ct).ConfigureAwait(false);
        try
        {
            await context.Database.MigrateAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            // Explicitly: the pool keeps the session (and its lock) open after the connection is closed.
            await AdvisoryLockAsync(connection, "pg_advisory_unlock", CancellationToken.None).ConfigureAwait(false);
        }
    }

    private static async Task AdvisoryLockAsync(NpgsqlConnection connection, string function, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand($"SELECT {function}($1)", connection) { Parameters = { new() { Value = PostgresMigrationLock } } };
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>True when a trivial query succeeds.</summary>
    public async Task<bool> IsReachableAsync(CancellationToken ct = default)
    {
        try
        {
            await using var connection = await OpenConnectionAsync(ct).ConfigureAwait(false);
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT 1";
            await command.ExecuteScalarAsync(ct).ConfigureAwait(false);
            return true;
        }
        catch (DbException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_npgsql is not null)
        {
            await _npgsql.DisposeAsync().ConfigureAwait(false);
        }

    }

    private static string ToKeyValue(string connection)
    {
        if (!Uri.TryCreate(connection.Trim(), UriKind.Absolute, out var uri) || !uri.Scheme.StartsWith("postgres", StringComparison.OrdinalIgnoreCase))
        {
            return connection;
        }

        var b = new NpgsqlConnectionStringBuilder { Host = uri.Host, Port = uri.Port > 0 ? uri.Port : 5432, Database = uri.AbsolutePath.Trim('/') };
        var userInfo = uri.UserInfo.Split(':', 2);
        if (userInfo[0].Length > 0)
        {
            b.Username = Uri.UnescapeDataString(userInfo[0]);
        }

        if (userInfo.Length > 1)
        {
            b.Password = Uri.UnescapeDataString(userInfo[1]);
        }

        return b.ConnectionString;
    }
}
