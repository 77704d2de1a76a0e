using System.Data.Common;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Microsoft.Data.Sqlite;
using Tally.Storage;

namespace Tally.Bench;

/// <summary>
/// The SQLite admission writer's statements, per call, without HTTP, the queue or the disk: a batch of
/// <see cref="CallsPerBatch"/> admits of keys that already have a count (the shape the admission bench produces), in one
/// transaction, <c>synchronous=OFF</c> so that the fsync (the same for both) does not drown the difference. Baseline: the
/// obvious ADO.NET way, one prepared <see cref="QuotaCounterStore.AdmitSql"/> upsert per call.
/// </summary>
[MemoryDiagnoser]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "BenchmarkDotNet disposes in [GlobalCleanup].")]
public class CounterWriterBenchmark
{
    private const string Tenant = "bench";
    private const string Namespace = "default";

    private string _directory = "";
    private SqliteConnection _ado = null!;
    private DbCommand _upsert = null!;
    private SqliteConnection _raw = null!;
    private SqliteCounterBatchWriter _writer = null!;
    private CounterCall[][] _batches = [];
    private int _next;

    /// <summary>Calls per transaction (the admission bench's writer commits about 11 at 32 connections).</summary>
    [Params(11)]
    public int CallsPerBatch { get; set; }

    public static int Run()
    {
        var config = ManualConfig.CreateMinimumViable()
            .AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithWarmupCount(3).WithIterationCount(15))
            .WithArtifactsPath(Path.Combine(Path.GetTempPath(), "tally-bench-artifacts"));
        var summary = BenchmarkRunner.Run<CounterWriterBenchmark>(config);
        return summary.HasCriticalValidationErrors || summary.Reports.Any(r => !r.Success) ? 1 : 0;
    }

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("tally-counter-bench-").FullName;
        var database = new TallyDatabase(Path.Combine(_directory, "tally.db"));
        database.MigrateAsync().GetAwaiter().GetResult();
        _ado = Open(database);
        Execute(_ado, $"INSERT INTO namespaces (tenant_id, name, created_at) VALUES ('{Tenant}', '{Namespace}', 0)");
        for (var k = 0; k < 32; k++)
        {
            Execute(_ado, $"INSERT INTO quota_counts (tenant_id, namespace, kind, key, current_micros) VALUES ('{Tenant}', '{Namespace}', 'objects', 'k{k}', 0)");
        }

        _upsert = _ado.CreateCommand();
        _upsert.CommandText = QuotaCounterStore.AdmitSql;
        foreach (var name in new[] { "@tenant", "@ns", "@kind", "@key", "@amount", "@limit" })
        {
            _upsert.Parameters.Add(new SqliteParameter(name, name is "@amount" or "@limit" ? 0L : string.Empty));
        }

        _upsert.Prepare();
        _raw = Open(database);
        _writer = new SqliteCounterBatchWriter(_raw);
        _batches = Enumerable.Range(0, 32)
            .Select(b => Enumerable.Range(0, CallsPerBatch)
                .Select(i => new CounterCall(true, Tenant, Namespace, "objects", $"k{(b * CallsPerBatch + i) % 32}", 1_000_000, -1))
                .ToArray())
            .ToArray();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _writer.Dispose();
        _raw.Dispose();
        _upsert.Dispose();
        _ado.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(Baseline = true, Description = "ADO.NET: one prepared upsert per call")]
    public long AdoNetUpsertPerCall()
    {
        var batch = NextBatch();
        long last = 0;
        using var transaction = _ado.BeginTransaction(System.Data.IsolationLevel.Serializable);
        _upsert.Transaction = transaction;
        foreach (var call in batch)
        {
            _upsert.Parameters["@tenant"].Value = call.TenantId;
            _upsert.Parameters["@ns"].Value = call.Namespace;
            _upsert.Parameters["@kind"].Value = call.Kind;
            _upsert.Parameters["@key"].Value = call.Key;
            _upsert.Parameters["@amount"].Value = call.Amount;
            _upsert.Parameters["@limit"].Value = call.Limit;
            last = (long)_upsert.ExecuteScalar()!;
        }

        transaction.Commit();
        return last;
    }

    [Benchmark(Description = "Tally's SQLite writer (SQLite API, UPDATE first)")]
    public long SqliteCounterBatchWriter() => _writer.Execute(NextBatch())[^1].CurrentMicros;

    private CounterCall[] NextBatch() => _batches[_next++ % _batches.Length];

    private static SqliteConnection Open(TallyDatabase database)
    {
        var connection = (SqliteConnection)database.OpenConnectionAsync().AsTask().GetAwaiter().GetResult();
        Execute(connection, "PRAGMA synchronous=OFF");
        return connection;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
