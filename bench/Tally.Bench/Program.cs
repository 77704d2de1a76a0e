namespace Tally.Bench;

/// <summary>
/// <c>Tally.Bench</c>: load drivers for the figures in DESIGN.md ("Figures the project must reach").
/// Verbs:
/// <list type="bullet">
/// <item><c>admission</c>: quota admission over HTTP against a minimal Kestrel endpoint measured in the same run.</item>
/// <item><c>ingest</c>: usage ingest over HTTP against a raw COPY (PostgreSQL) or a prepared insert loop (SQLite) of the same rows, and the server's RSS.</item>
/// <item><c>usage-queries</c>: F5 current_usage / monthly_usage latency for a tenant with 10 M events in the month.</item>
/// <item><c>invoice-pdf</c>: invoice PDF rendering on one core.</item>
/// <item><c>billing-run</c>: a billing run over N tenants × M metrics with a month of usage, on PostgreSQL, without PDFs.</item>
/// <item><c>counter-writer</c>: BenchmarkDotNet, the SQLite admission writer's statements per batch against a plain ADO.NET upsert loop.</item>
/// <item><c>baseline</c> (hidden): the minimal Kestrel endpoint itself, run as a child process by <c>admission</c>.</item>
/// <item><c>watchdog</c> (hidden): kills the child servers if the driver dies without cleaning up.</item>
/// </list>
/// </summary>
internal static class BenchProgram
{
    private const string Usage = """
        Usage: Tally.Bench <verb> [options]

          admission [--database CONN] [--seconds N] [--connections C] [--warmup S] [--release] [--diagnostics]
                    [--db-in-workdir] [--wait-quiet S] [--rounds R] [--versus DIR]
              Starts a minimal Kestrel baseline and `tally serve` as child processes on 127.0.0.1, drives the same
              closed-loop HTTP load against each in turn and prints a markdown table and the verdict against
              "requests/s >= 0.5 x baseline, p99 <= 10 ms".
              --database CONN   PostgreSQL connection string (default: a fresh temporary SQLite file)
              --seconds N       measured seconds per path (default 10)
              --warmup S        minimum warm-up seconds per path (default 5); warm-up then goes on in 2 s
                                slices until the server's tiered JIT is quiet and two slices agree within
                                5 % (at most 60 s)
              --connections C   concurrent workers = pooled connections (default 32)
              --release         alternate admit and release calls (counts stay bounded)
              --diagnostics     also measure Tally with an invalid token (401: pipeline + token lookup, no
                                quota work) and GET /healthz (pipeline only)
              --db-in-workdir   put the SQLite file in Tally's working directory, as `tally serve` does by
                                default (measures the cost of the host's file watcher on the WAL writes)
              --wait-quiet S    before each path wait up to S seconds (default 120; 0 = don't) until other
                                processes use < 15 % of one core for 3 s; the Other CPU column shows what
                                they used during the measurement anyway
              --rounds R        measure the baseline and Tally in R alternating slices of N/R s each (after
                                both warm-ups; 2 s of unmeasured load before each slice) instead of one
                                window each: both then see the same machine; prints each round's ratio
              --versus DIR      also start the tally.dll in DIR (a copy of another build's bench output
                                directory) on its own fresh SQLite file (with --database: on the same
                                database) and measure it as a third path, in the same rounds: an A/B of two
                                server builds on the same machine

          ingest [--database CONN] [--events N] [--batch B] [--clients C] [--warmup S] [--tenants T]
              Generates N realistic usage events (T tenants x 3 namespaces x 4 metrics x 50 objects, last 6 h,
              unique ids), measures the baseline on those rows — PostgreSQL: one binary COPY into a fresh table
              LIKE usage_events INCLUDING ALL; SQLite: a prepared INSERT loop into a fresh file (WAL,
              synchronous=FULL), one transaction per B rows — then `tally serve` as a child process ingesting the
              same rows over HTTP, and prints the ratio (target >= 0.5) and the server's RSS (target <= 300 MB).
              --database CONN   PostgreSQL connection string (default: fresh temporary SQLite files)
              --events N        measured events (default 400000; a multiple of B)
              --batch B         events per request and per baseline transaction (default 5000, at most 10000)
              --clients C       concurrent HTTP clients (default 4)
              --warmup S        minimum warm-up seconds of fresh events before measuring (default 20)
              --tenants T       tenants the events are spread over (default 4)

          usage-queries [--database CONN] [--events N] [--clients C] [--requests R] [--warmup W] [--zones Z1,Z2]
              Starts `tally serve` as a child process, creates a tenant, 12 metrics and a plan through the operator
              API, ingests N events over HTTP (10,000 per request) spread over every hour of the current UTC month
              so far (12 metrics x 3 namespaces x 9 objects), then measures POST .../system/current_usage and
              .../monthly_usage (and both narrowed to namespace default) with a tenant token: W warm-up requests,
              then R sequential requests each; prints p50/p99/max and the verdict against "p50 <= 20 ms".
              --database CONN   PostgreSQL connection string (default: a fresh temporary SQLite file)
              --events N        events to seed (default 10000000; a multiple of 10000)
              --clients C       concurrent seeding clients (default 3)
              --requests R      measured requests per row (default 200)
              --warmup W        warm-up requests per row (default 50)
              --zones Z1,Z2     tenant time zones measured in turn (default UTC,America/Los_Angeles)

          invoice-pdf [--invoices N] [--warmup W]
              Renders N invoices (default 500) of 10 lines each, the locales en, ja, zh-TW, de and ko in turn, on one
              thread with the process pinned to one CPU, after W warm-up renders (default 50); prints invoices/s and
              the verdict against ">= 50 invoices/s on one core". Needs fonts-noto-cjk for realistic CJK text.

          billing-run --database CONN [--tenants N] [--metrics M] [--warmup W]
              Creates a fresh database bench_<random> on the PostgreSQL server of CONN (dropped at the end), starts
              `tally serve --no-billing-schedule --no-invoice-pdfs` on it as a child process, creates M metrics (sum) and
              one plan pricing them through the operator API, seeds N tenants with binary COPY (tenants, namespaces,
              plan_subscriptions, payment_methods, and the usage roll-ups billing reads for the tenant's previous month:
              usage_daily and the edge hours of usage_metric_hourly; no raw events), then times POST
              /api/admin/billing/runs for today until the run has finished, checks the invoices it wrote and prints the
              verdict against "<= 30 s". A quarter of the tenants are in Asia/Tokyo, a quarter in America/Los_Angeles.
              --database CONN   PostgreSQL connection string, key=value form (required: the figure is for PostgreSQL)
              --tenants N       tenants (default 10000)
              --metrics M       metrics priced by the plan (default 5)
              --warmup W        before measuring, a dry run over the first W tenants so the server's JIT has
                                compiled the billing path (default 0: the measured run is the server's first)

          counter-writer
              BenchmarkDotNet, in process: one batch of 11 admits of existing keys in one SQLite transaction
              (synchronous=OFF, no HTTP, no queue) by Tally's SQLite writer, against the baseline of one prepared
              ADO.NET upsert per call. Prints BenchmarkDotNet's table (mean per batch, ratio to the baseline).

        Run from the repository root:
          dotnet run -c Release --project bench/Tally.Bench -- admission
          dotnet run -c Release --project bench/Tally.Bench -- ingest
        """;

    /// <summary>A token source that Ctrl-C cancels (instead of killing the bench, so its <c>finally</c> blocks stop the servers).</summary>
    public static CancellationTokenSource CancelOnCtrlC()
    {
        var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        return cancel;
    }

    public static async Task<int> Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            Console.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }

        Options options;
        try
        {
            options = Options.Parse(args.AsSpan(1));
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync(e.Message);
            await Console.Error.WriteLineAsync(Usage);
            return 2;
        }

        try
        {
            switch (args[0])
            {
                case "admission":
                    return await AdmissionBenchmark.RunAsync(AdmissionSettings.From(options));
                case "ingest":
                    return await IngestBenchmark.RunAsync(IngestSettings.From(options));
                case "usage-queries":
                    return await UsageQueryBenchmark.RunAsync(UsageQuerySettings.From(options));
                case "invoice-pdf":
                    return await InvoicePdfBenchmark.RunAsync(InvoicePdfSettings.From(options));
                case "billing-run":
                    return await BillingRunBenchmark.RunAsync(BillingRunSettings.From(options));
                case "counter-writer":
                    return CounterWriterBenchmark.Run();
                case "baseline":
                    await BaselineServer.RunAsync(options.Require("--urls"));
                    return 0;
                case "watchdog":
                    return await Watchdog.RunAsync(options);
                default:
                    await Console.Error.WriteLineAsync($"Unknown verb '{args[0]}'.");
                    await Console.Error.WriteLineAsync(Usage);
                    return 2;
            }
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync(e.Message);
            return 2;
        }
    }
}
