using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Tally.Domain;
using Tally.Domain.Invoicing;
using Tally.Server.Features.Invoices;

namespace Tally.Bench;

/// <summary>Settings of the <c>invoice-pdf</c> verb.</summary>
internal sealed record InvoicePdfSettings(int Invoices, int Warmup)
{
    public static InvoicePdfSettings From(Options options)
    {
        options.Only("--invoices", "--warmup");
        return new InvoicePdfSettings(options.Count("--invoices", 500, 1_000_000), options.Count("--warmup", 50, 1_000_000));
    }
}

/// <summary>
/// <c>invoice-pdf</c>: renders invoices of 10 lines in the five locales in turn (CJK, Hangul and German names) on one
/// thread pinned to one CPU, after a warm-up, and prints invoices per second against the target (≥ 50/s on one core).
/// </summary>
internal static class InvoicePdfBenchmark
{
    public const double Target = 50;

    public static Task<int> RunAsync(InvoicePdfSettings settings)
    {
        var cpu = PinToOneCpu();
        var renderer = new InvoicePdf(NullLogger<InvoicePdf>.Instance);
        var documents = InvoiceLocales.All.Select(Sample).ToArray();

        long bytes = 0;
        for (var i = 0; i < settings.Warmup; i++)
        {
            bytes += renderer.Render(documents[i % documents.Length]).Length;
        }

        var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        bytes = 0;
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < settings.Invoices; i++)
        {
            bytes += renderer.Render(documents[i % documents.Length]).Length;
        }

        watch.Stop();
        process.Refresh();
        var cpuUsed = process.TotalProcessorTime - cpuBefore;
        var perSecond = settings.Invoices / watch.Elapsed.TotalSeconds;
        var c = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(c, $"Rendered {settings.Invoices} invoices (10 lines, locales en/ja/zh-TW/de/ko in turn) after {settings.Warmup} warm-up, one thread{cpu}."));
        Console.WriteLine(string.Create(c, $"Wall time {watch.Elapsed.TotalSeconds:F2} s, process CPU time {cpuUsed.TotalSeconds:F2} s, average PDF {bytes / settings.Invoices / 1024.0:F1} KiB."));
        Console.WriteLine(string.Create(c, $"| Invoices | Invoices/s | ms/invoice | Target | Verdict |"));
        Console.WriteLine(string.Create(c, $"|---:|---:|---:|---|---|"));
        Console.WriteLine(string.Create(c, $"| {settings.Invoices} | {perSecond:F1} | {1000 / perSecond:F2} | >= {Target:F0}/s on one core | {(perSecond >= Target ? "PASS" : "FAIL")} |"));
        return Task.FromResult(perSecond >= Target ? 0 : 1);
    }

    /// <summary>Pins the process to the first CPU it may use (Linux and Windows); returns a note for the report.</summary>
    private static string PinToOneCpu()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsWindows())
        {
            return "";
        }

        using var process = Process.GetCurrentProcess();
        var allowed = (long)process.ProcessorAffinity;
        var first = allowed & -allowed;
        process.ProcessorAffinity = checked((IntPtr)first);
        return string.Create(CultureInfo.InvariantCulture, $", process pinned to CPU {System.Numerics.BitOperations.TrailingZeroCount(first)}");
    }

    private static InvoiceDocument Sample(InvoiceLocale locale)
    {
        var currency = Currency.Of(locale switch
        {
            InvoiceLocale.Ja => "JPY",
            InvoiceLocale.Ko => "KRW",
            InvoiceLocale.ZhTw => "TWD",
            InvoiceLocale.De => "EUR",
            _ => "USD",
        });
        string[] names =
        [
            "Plan fee ('Business')", "データ転送量（東京リージョン）", "雲端儲存空間 臺北機房", "데이터 전송량 서울 리전",
            "Prüfgebühr Bärenstraße Größe", "API requests", "Object storage (GB-month)", "Load balancer hours",
            "Add-on fee ('Bot defense')", "Late usage: API requests (October)",
        ];
        var lines = names.Select((name, i) => new InvoiceDocumentLine(
            name, i % 3 == 0 ? "Metered usage from 1 to 30 November, billed per unit" : "", 1000m + (i * 37.25m), i % 2 == 0 ? "GB" : "h",
            new Money(12_345 + (i * 1_111), currency))).ToImmutableArray();
        var totals = InvoiceTotals.Compute(currency, lines.Select(l => l.Amount), 10m);
        return new InvoiceDocument
        {
            Operator = new InvoiceParty("Tally Cloud GmbH", ["Müllerstraße 12", "80469 München"], "DE123456789"),
            Tenant = new InvoiceParty("株式会社さくら商事 東京支店", ["東京都千代田区丸の内1-1", "100-0005"], "T1234567890123"),
            FriendlyId = new FriendlyId(2026, 11, 42).ToString(),
            PeriodFrom = new DateOnly(2026, 11, 1),
            PeriodTo = new DateOnly(2026, 11, 30),
            IssuedOn = new DateOnly(2026, 12, 1),
            DueOn = new DateOnly(2026, 12, 3),
            Currency = currency,
            Lines = lines,
            Subtotal = totals.Subtotal,
            VatRate = totals.VatRate,
            Vat = totals.Vat,
            Total = totals.Total,
            Status = InvoiceState.Pending,
            Locale = locale,
        };
    }
}
