using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Tally.Server.Features.Invoices;
using static Tally.Server.Tests.Invoices.InvoicePdfTestKit;

namespace Tally.Server.Tests.Invoices;

/// <summary>
/// The invoice PDF (issue 5, "The PDF"): rendered without storage, checked with poppler-utils' <c>pdftotext</c>,
/// <c>pdfinfo</c> and <c>pdffonts</c>.
/// </summary>
public sealed class InvoicePdfTests
{
    private static byte[] Render(InvoiceDocument document, CapturingLogger<InvoicePdf>? logger = null) =>
        new InvoicePdf(logger ?? new CapturingLogger<InvoicePdf>()).Render(document);

    public static TheoryData<InvoiceLocale, string[]> LocaleLabels => new()
    {
        { InvoiceLocale.En, ["Invoice", "Period", "Issued", "Due", "Quantity", "Amount", "Subtotal", "VAT 10%", "Total", "Paid", "Bill to", "1 Nov 2026", "Page 1 of 1"] },
        { InvoiceLocale.Ja, ["請求書", "請求期間", "発行日", "支払期日", "数量", "金額", "小計", "消費税 10%", "合計", "支払済み", "請求先", "2026年12月1日", "1 / 1 ページ"] },
        { InvoiceLocale.ZhTw, ["發票", "計費期間", "開立日期", "付款期限", "數量", "金額", "小計", "營業稅 10%", "總計", "已付款", "買方", "2026年12月1日", "第 1 頁，共 1 頁"] },
        { InvoiceLocale.De, ["Rechnung", "Leistungszeitraum", "Rechnungsdatum", "Fällig am", "Menge", "Betrag", "Zwischensumme", "MwSt. 10 %", "Gesamtbetrag", "Bezahlt", "Rechnung an", "01.12.2026", "Seite 1 von 1"] },
        { InvoiceLocale.Ko, ["청구서", "청구 기간", "발행일", "납부 기한", "수량", "금액", "소계", "부가가치세 10%", "합계", "결제 완료", "공급받는자", "2026년 12월 1일", "1 / 1 페이지"] },
    };

    [Theory]
    [MemberData(nameof(LocaleLabels))]
    public void Each_locale_prints_its_labels_the_CJK_and_German_names_the_friendly_id_and_the_totals(InvoiceLocale locale, string[] labels)
    {
        var document = Sample(locale);
        var logger = new CapturingLogger<InvoicePdf>();

        var text = Text(Render(document, logger));

        foreach (var expected in labels.Concat([JapaneseTenant, JapaneseItem, ChineseItem, KoreanItem, GermanItem, "Müllerstraße 12", "2026-11-00000042", SampleTotal(locale).Total]))
        {
            Assert.Contains(Normalise(expected), text, StringComparison.Ordinal);
        }

        Assert.DoesNotContain(logger.Entries, e => e.Level >= LogLevel.Warning);
    }

    [Fact]
    public void German_amounts_use_the_comma_and_JPY_and_KRW_amounts_have_no_minor_units()
    {
        var german = Text(Render(Sample(InvoiceLocale.De)));
        var japanese = Text(Render(Sample(InvoiceLocale.Ja)));
        var korean = Text(Render(Sample(InvoiceLocale.Ko)));

        Assert.Contains("11.223,34 EUR", german, StringComparison.Ordinal); // subtotal 1,234,567 − 112,233 cents
        Assert.Contains("1.122,33 EUR", german, StringComparison.Ordinal); // VAT
        Assert.Contains("JPY 1,122,334", japanese, StringComparison.Ordinal);
        Assert.Contains("JPY 112,233", japanese, StringComparison.Ordinal);
        Assert.DoesNotContain("JPY 1,234,567.", japanese, StringComparison.Ordinal);
        Assert.Contains("KRW 112,233", korean, StringComparison.Ordinal);
    }

    [Fact]
    public void The_fonts_are_embedded_with_unicode_maps_and_the_title_is_the_friendly_id()
    {
        var pdf = Render(Sample(InvoiceLocale.Ja));

        var fonts = Run("pdffonts", pdf, "{pdf}").Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(2).ToList();
        var info = Run("pdfinfo", pdf, "{pdf}");

        Assert.NotEmpty(fonts);
        Assert.All(fonts, row => Assert.Matches(@"\s+yes\s+(yes|no)\s+yes\s+\d+\s+\d+\s*$", row)); // emb = yes, uni (ToUnicode) = yes
        Assert.Contains(fonts, row => row.Contains("Type 3", StringComparison.Ordinal) || row.Contains("CID", StringComparison.Ordinal));
        Assert.Matches(@"(?m)^Title:\s+2026-11-00000042\s*$", info);
    }

    [Fact]
    public void A_40_item_invoice_flows_onto_more_A4_pages_each_repeating_the_table_header()
    {
        var pdf = Render(Sample(InvoiceLocale.En, extraLines: 36));

        var info = Run("pdfinfo", pdf, "{pdf}");
        var pages = int.Parse(Regex.Match(info, @"(?m)^Pages:\s+(\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        var text = Text(pdf);

        Assert.True(pages > 1, $"40 items took {pages} page(s)");
        Assert.Matches(@"(?m)^Page size:\s+595(\.\d+)? x 842(\.\d+)? pts \(A4\)", info);
        Assert.Equal(pages, Regex.Count(text, "Quantity"));
        Assert.Contains("Usage line 36", text, StringComparison.Ordinal);
        Assert.Contains($"Page {pages} of {pages}", text, StringComparison.Ordinal);
        Assert.Contains("USD 12,345.67", text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_long_item_name_wraps_onto_two_lines_and_is_then_cut_with_an_ellipsis()
    {
        var words = string.Join(' ', Enumerable.Range(1, 60).Select(i => $"word{i}"));

        var text = Text(Render(Sample(InvoiceLocale.En, moreNames: [words])));

        Assert.Contains("word1 word2", text, StringComparison.Ordinal);
        Assert.Contains("...", text, StringComparison.Ordinal); // "…" after NFKC
        Assert.DoesNotContain("word60", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Characters_no_font_can_draw_are_named_in_one_warning_and_the_PDF_is_still_rendered()
    {
        var missing = char.ConvertFromUtf32(0x10FFFD);
        var logger = new CapturingLogger<InvoicePdf>();

        var pdf = Render(Sample(InvoiceLocale.De, moreNames: [$"Private {missing} use", $"Again {missing}"]), logger);

        var warning = Assert.Single(logger.Entries, e => e.Level == LogLevel.Warning);
        Assert.Contains("U+10FFFD", warning.Message, StringComparison.Ordinal);
        Assert.Contains("2026-11-00000042", warning.Message, StringComparison.Ordinal);
        Assert.Equal("%PDF", Encoding.ASCII.GetString(pdf, 0, 4));
        Assert.Contains(GermanItem, Text(pdf), StringComparison.Ordinal);
    }
}
