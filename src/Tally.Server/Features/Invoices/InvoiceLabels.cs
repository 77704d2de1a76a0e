using System.Globalization;
using Tally.Domain;
using Tally.Domain.Invoicing;

namespace Tally.Server.Features.Invoices;

/// <summary>
/// The printed words and number, date and amount conventions of one <see cref="InvoiceLocale"/>. Amounts use the
/// locale's separators and the currency's minor units (JPY and KRW without decimals) with the ISO code: "USD 1,234.56",
/// "1.234,56 EUR" (de), "JPY 123,456". Dates: en "1 Nov 2026", de "01.11.2026", ja and zh-TW "2026年11月1日",
/// ko "2026년 11월 1일".
/// </summary>
internal sealed class InvoiceLabels
{
    private static readonly InvoiceLabels[] ByLocale =
    [
        new(InvoiceLocale.En, "en-US", "d MMM yyyy",
            "Invoice", "Invoice no.", "Period", "Issued", "Due", "Status", "From", "Bill to", "VAT no.",
            "Item", "Quantity", "Unit", "Amount", "Subtotal", "VAT", "Total", "Page {0} of {1}",
            ["Open", "Finalized", "Issued", "Unpaid", "Paid", "Payment failed", "Cancelled", "Refunded"]),
        new(InvoiceLocale.Ja, "ja-JP", "yyyy'年'M'月'd'日'",
            "請求書", "請求書番号", "請求期間", "発行日", "支払期日", "状態", "請求元", "請求先", "登録番号",
            "品目", "数量", "単位", "金額", "小計", "消費税", "合計", "{0} / {1} ページ",
            ["未確定", "確定済み", "支払待ち", "未払い", "支払済み", "支払失敗", "取消済み", "返金済み"]),
        new(InvoiceLocale.ZhTw, "zh-TW", "yyyy'年'M'月'd'日'",
            "發票", "發票號碼", "計費期間", "開立日期", "付款期限", "狀態", "賣方", "買方", "統一編號",
            "項目", "數量", "單位", "金額", "小計", "營業稅", "總計", "第 {0} 頁，共 {1} 頁",
            ["草稿", "已確認", "待付款", "未付款", "已付款", "付款失敗", "已取消", "已退款"]),
        new(InvoiceLocale.De, "de-DE", "dd.MM.yyyy",
            "Rechnung", "Rechnungsnummer", "Leistungszeitraum", "Rechnungsdatum", "Fällig am", "Status", "Von", "Rechnung an", "USt-IdNr.",
            "Position", "Menge", "Einheit", "Betrag", "Zwischensumme", "MwSt.", "Gesamtbetrag", "Seite {0} von {1}",
            ["Offen", "Abgeschlossen", "Ausstehend", "Unbezahlt", "Bezahlt", "Zahlung fehlgeschlagen", "Storniert", "Erstattet"]),
        new(InvoiceLocale.Ko, "ko-KR", "yyyy'년' M'월' d'일'",
            "청구서", "청구서 번호", "청구 기간", "발행일", "납부 기한", "상태", "공급자", "공급받는자", "사업자등록번호",
            "항목", "수량", "단위", "금액", "소계", "부가가치세", "합계", "{0} / {1} 페이지",
            ["작성 중", "확정됨", "결제 대기", "미납", "결제 완료", "결제 실패", "취소됨", "환불됨"]),
    ];

    private readonly string _datePattern;
    private readonly string _pageFormat;
    private readonly string[] _statuses;

    private InvoiceLabels(
        InvoiceLocale locale, string culture, string datePattern,
        string title, string invoiceNumber, string period, string issued, string due, string status, string from, string billTo, string vatNumber,
        string item, string quantity, string unit, string amount, string subtotal, string vat, string total, string pageFormat,
        string[] statuses)
    {
        Locale = locale;
        Culture = CultureInfo.GetCultureInfo(culture);
        _datePattern = datePattern;
        Title = title;
        InvoiceNumber = invoiceNumber;
        Period = period;
        Issued = issued;
        Due = due;
        Status = status;
        From = from;
        BillTo = billTo;
        VatNumber = vatNumber;
        Item = item;
        Quantity = quantity;
        Unit = unit;
        Amount = amount;
        Subtotal = subtotal;
        Vat = vat;
        Total = total;
        _pageFormat = pageFormat;
        _statuses = statuses;
    }

    public InvoiceLocale Locale { get; }

    public CultureInfo Culture { get; }

    public string Title { get; }

    public string InvoiceNumber { get; }

    public string Period { get; }

    public string Issued { get; }

    public string Due { get; }

    public string Status { get; }

    public string From { get; }

    public string BillTo { get; }

    public string VatNumber { get; }

    public string Item { get; }

    public string Quantity { get; }

    public string Unit { get; }

    public string Amount { get; }

    public string Subtotal { get; }

    public string Vat { get; }

    public string Total { get; }

    /// <summary>The labels of <paramref name="locale"/>.</summary>
    public static InvoiceLabels For(InvoiceLocale locale) =>
        (int)locale >= 0 && (int)locale < ByLocale.Length
            ? ByLocale[(int)locale]
            : throw new ArgumentOutOfRangeException(nameof(locale), locale, "Unknown invoice locale.");

    /// <summary>The printed name of <paramref name="state"/>.</summary>
    public string StatusName(InvoiceState state) =>
        (int)state >= 0 && (int)state < _statuses.Length
            ? _statuses[(int)state]
            : throw new ArgumentOutOfRangeException(nameof(state), state, "Unknown invoice state.");

    /// <summary>"Page 1 of 3" in the locale.</summary>
    public string Page(int page, int pages) => string.Format(Culture, _pageFormat, page, pages);

    /// <summary>The date in the locale's pattern (see the type's comment).</summary>
    public string Date(DateOnly date) => date.ToString(_datePattern, CultureInfo.InvariantCulture);

    /// <summary>The amount with the locale's separators, the currency's minor units and its ISO code (see the type's comment).</summary>
    public string Money(Money amount)
    {
        var number = amount.ToUnits().ToString("N" + amount.Currency.Exponent.ToString(CultureInfo.InvariantCulture), Culture);
        return Locale == InvoiceLocale.De ? $"{number} {amount.Currency.Code}" : $"{amount.Currency.Code} {number}";
    }

    /// <summary>A quantity with the locale's separators and up to 6 decimals ("1,234.5", de "1.234,5").</summary>
    public string QuantityText(decimal quantity) => quantity.ToString("#,##0.######", Culture);

    /// <summary>"VAT 19%", de "MwSt. 19 %".</summary>
    public string VatWithRate(decimal rate)
    {
        var number = rate.ToString("0.####", Culture);
        return Locale == InvoiceLocale.De ? $"{Vat} {number} %" : $"{Vat} {number}%";
    }
}
