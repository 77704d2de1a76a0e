using System.Collections.Immutable;
using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Tally.Domain;
using Tally.Domain.Invoicing;
using Tally.Server.Features.Invoices;
using Tally.Server.Tests.Infrastructure;

namespace Tally.Server.Tests.Invoices;

/// <summary>Sample invoice documents and poppler-utils (<c>pdftotext</c>, <c>pdfinfo</c>, <c>pdffonts</c>; <c>.ci/run</c> installs them).</summary>
internal static partial class InvoicePdfTestKit
{
    public const string JapaneseTenant = "株式会社さくら商事 東京支店";
    public const string JapaneseItem = "データ転送量（東京リージョン）";
    public const string ChineseItem = "雲端儲存空間 臺北機房";
    public const string KoreanItem = "데이터 전송량 서울 리전";
    public const string GermanItem = "Prüfgebühr Bärenstraße Größe";

    /// <summary>The currency each locale's sample bills in, and its total as the locale prints it.</summary>
    public static (Currency Currency, long TotalMinor, string Total) SampleTotal(InvoiceLocale locale) => locale switch
    {
        InvoiceLocale.En => (Currency.Of("USD"), 1_234_567, "USD 12,345.67"),
        InvoiceLocale.Ja => (Currency.Of("JPY"), 1_234_567, "JPY 1,234,567"),
        InvoiceLocale.ZhTw => (Currency.Of("TWD"), 1_234_567, "TWD 12,345.67"),
        InvoiceLocale.De => (Currency.Of("EUR"), 1_234_567, "12.345,67 EUR"),
        InvoiceLocale.Ko => (Currency.Of("KRW"), 1_234_567, "KRW 1,234,567"),
        _ => throw new ArgumentOutOfRangeException(nameof(locale)),
    };

    /// <summary>
    /// An invoice in <paramref name="locale"/> whose tenant and items carry Japanese, Chinese, Korean and German text,
    /// with <paramref name="extraLines"/> more plain lines; total = <see cref="SampleTotal"/>, VAT 10 % of the subtotal
    /// rounded in the sample's favour of exact sums (subtotal = total − VAT).
    /// </summary>
    public static InvoiceDocument Sample(InvoiceLocale locale, int extraLines = 0, IEnumerable<string>? moreNames = null)
    {
        var (currency, totalMinor, _) = SampleTotal(locale);
        var vat = totalMinor / 11;
        var subtotal = totalMinor - vat;
        var names = new List<string> { JapaneseItem, ChineseItem, KoreanItem, GermanItem };
        names.AddRange(moreNames ?? []);
        names.AddRange(Enumerable.Range(1, extraLines).Select(i => $"Usage line {i}"));
        var lines = new List<InvoiceDocumentLine>();
        var left = subtotal;
        for (var i = 0; i < names.Count; i++)
        {
            var amount = i == names.Count - 1 ? left : subtotal / names.Count;
            left -= amount;
            lines.Add(new InvoiceDocumentLine(names[i], i % 2 == 0 ? "Metered usage, billed per GB" : "", 1234.5m + i, "GB", new Money(amount, currency)));
        }

        return new InvoiceDocument
        {
            Operator = new InvoiceParty("Tally Cloud GmbH", ["Müllerstraße 12", "80469 München"], "DE123456789"),
            Tenant = new InvoiceParty(JapaneseTenant, ["東京都千代田区丸の内1-1", "서울특별시 중구"], "T1234567890123"),
            FriendlyId = new FriendlyId(2026, 11, 42).ToString(),
            PeriodFrom = new DateOnly(2026, 11, 1),
            PeriodTo = new DateOnly(2026, 11, 30),
            IssuedOn = new DateOnly(2026, 12, 1),
            DueOn = new DateOnly(2026, 12, 3),
            Currency = currency,
            Lines = [.. lines],
            Subtotal = new Money(subtotal, currency),
            VatRate = 10m,
            Vat = new Money(vat, currency),
            Total = new Money(totalMinor, currency),
            Status = InvoiceState.Paid,
            Locale = locale,
        };
    }

    /// <summary>Writes <paramref name="pdf"/> to a temporary file, runs <paramref name="tool"/> on it and returns its standard output.</summary>
    public static string Run(string tool, byte[] pdf, params string[] arguments)
    {
        var path = TestFiles.NewPath("invoice", ".pdf");
        File.WriteAllBytes(path, pdf);
        try
        {
            var start = new ProcessStartInfo(tool)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                StandardOutputEncoding = Encoding.UTF8,
            };
            foreach (var argument in arguments)
            {
                start.ArgumentList.Add(argument == "{pdf}" ? path : argument);
            }

            using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {tool}.");
            var error = process.StandardError.ReadToEndAsync();
            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            Assert.True(process.ExitCode == 0, $"{tool} exited with {process.ExitCode}: {error.Result}");
            return output;
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary><c>pdftotext -layout</c> of <paramref name="pdf"/>, NFKC-normalised with runs of white space made one space.</summary>
    public static string Text(byte[] pdf) => Normalise(Run("pdftotext", pdf, "-layout", "-enc", "UTF-8", "{pdf}", "-"));

    /// <summary>NFKC (CJK glyphs may extract as Kangxi radicals, DESIGN.md), runs of white space made one space.</summary>
    public static string Normalise(string text) => Spaces().Replace(text.Normalize(NormalizationForm.FormKC), " ");

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();
}

/// <summary>An <see cref="ILogger{T}"/> that keeps what is logged.</summary>
internal sealed class CapturingLogger<T> : ILogger<T>
{
    public List<(LogLevel Level, string Message)> Entries { get; } = [];

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (Entries)
        {
            Entries.Add((logLevel, formatter(state, exception)));
        }
    }
}
