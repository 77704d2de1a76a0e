using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using SkiaSharp;

namespace Tally.Server.Features.Invoices;

/// <summary>
/// Renders an <see cref="InvoiceDocument"/> as an A4 PDF (595 × 842 pt) through SkiaSharp's PDF backend, with the
/// fonts it uses embedded and the friendly id as the document title. Typefaces come from the system (fontconfig
/// through <see cref="SKFontManager.Default"/>), regular weight only: the CJK face fontconfig picks for the invoice's
/// locale draws every character it has, Latin included (so Han characters take the Japanese, Traditional Chinese or
/// Korean forms of the locale, and the PDF embeds Type 3 subsets instead of whole TrueType files); a Latin sans
/// (DejaVu Sans, ...) draws what that face lacks, or everything when no CJK face is installed; any other character
/// takes the face <see cref="SKFontManager.MatchCharacter(string, SKFontStyle, string[], int)"/> picks for it.
/// Characters no installed face can draw are drawn with the Latin face (its missing-glyph box) and named in ONE
/// warning per document. Face look-ups are cached for the process. Thread-safe: every call renders on its own canvas.
/// Layout: a header with the title and the invoice's number, dates, period and status, the operator and tenant
/// blocks, the line table (item names wrap onto at most two lines and are then cut with "…"; descriptions take one
/// line), then subtotal, VAT and total. Rows flow onto further pages, each repeating the table header; every page has
/// a footer with the friendly id and "Page n of N".
/// </summary>
public sealed class InvoicePdf(ILogger<InvoicePdf> logger)
{
    /// <summary>A4 in PDF points.</summary>
    public const float PageWidth = 595f;

    /// <summary>A4 in PDF points.</summary>
    public const float PageHeight = 842f;

    private const float Left = 50f;
    private const float Right = PageWidth - 50f;
    private const float ContentBottom = PageHeight - 64f;
    private const float FooterBaseline = PageHeight - 36f;

    // Table columns: item text [Left, ItemRight]; quantity right-aligned at QuantityRight; unit from UnitLeft; amount right-aligned at Right.
    private const float ItemRight = 296f;
    private const float QuantityRight = 378f;
    private const float UnitLeft = 390f;
    private const float UnitRight = 452f;

    private const float BodySize = 9f;
    private const float SmallSize = 8f;
    private const float LineGap = 12f;
    private const string Ellipsis = "…";

    private static readonly FontBook Fonts = new();

    /// <summary>Renders <paramref name="document"/>; never fails for lack of a glyph (see the type's comment).</summary>
    public byte[] Render(InvoiceDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        using var page = new PageWriter(document, Fonts);
        var bytes = page.Write();
        if (page.Missing.Count > 0)
        {
            logger.LogWarning(
                "Invoice {FriendlyId} ({Locale}): no font on this machine can draw {Characters}; drawn with the fallback font {Fallback}.",
                document.FriendlyId, document.Locale.ToTag(), Describe(page.Missing), Fonts.Latin.FamilyName);
        }

        return bytes;
    }

    /// <summary>"U+10FFFD, U+E000" in code point order.</summary>
    internal static string Describe(IEnumerable<int> codePoints) =>
        string.Join(", ", codePoints.Order().Select(c => string.Create(CultureInfo.InvariantCulture, $"U+{c:X4}")));

    /// <summary>The process-wide typeface cache: the Latin faces and one look-up per (locale, weight, code point).</summary>
    private sealed class FontBook
    {
        private static readonly string[] LatinFamilies = ["DejaVu Sans", "Noto Sans", "Liberation Sans", "Arial", "Helvetica", "sans-serif"];

        private readonly ConcurrentDictionary<(InvoiceLocale Locale, int CodePoint), SKTypeface?> _byCharacter = new();
        private readonly ConcurrentDictionary<InvoiceLocale, SKTypeface?> _primary = new();

        // One instance per face, so the PDF embeds each face once whatever instance fontconfig hands out.
        private readonly ConcurrentDictionary<(string Family, int Weight, int Slant), SKTypeface> _faces = new();

        /// <summary>
        /// The regular Latin sans. There is no bold: every face embedded costs about 3 ms per PDF, and emboldened glyphs
        /// are drawn as paths (slower still), so emphasis is by size and colour.
        /// </summary>
        public SKTypeface Latin { get; } = PickLatin();

        /// <summary>
        /// The face for <paramref name="codePoint"/>, or null when no installed face has it: the locale's CJK face when it
        /// has the character (Latin included: see <see cref="Primary"/>), else the Latin face, else fontconfig's match.
        /// </summary>
        public SKTypeface? For(int codePoint, InvoiceLocale locale)
        {
            if (Primary(locale) is { } primary && primary.ContainsGlyph(codePoint))
            {
                return primary;
            }

            if (Latin.ContainsGlyph(codePoint))
            {
                return Latin;
            }

            return _byCharacter.GetOrAdd((locale, codePoint), static (key, book) => book.Match(key.Locale, key.CodePoint), this);
        }

        /// <summary>
        /// The face all text of <paramref name="locale"/> is drawn with when it has the glyphs: the CJK face fontconfig
        /// picks for the locale (Noto Sans CJK with Debian's fonts-noto-cjk), when it also has Latin letters and "ß".
        /// Skia embeds such OpenType/CFF faces as Type 3 subsets of the glyphs used, while this SkiaSharp build embeds
        /// a TrueType face (DejaVu Sans) whole, about 400 KB compressed per face per PDF, which costs two thirds of
        /// the rendering time (docs/decisions.md, "Invoice PDF"). Null when no such face is installed.
        /// </summary>
        public SKTypeface? Primary(InvoiceLocale locale) =>
            _primary.GetOrAdd(locale, static (key, book) =>
            {
                var face = book.Match(key, 0x5B57); // 字
                return face is not null && face.ContainsGlyph('A') && face.ContainsGlyph('ß') && face.ContainsGlyph('€') ? face : null;
            }, this);

        private SKTypeface? Match(InvoiceLocale locale, int codePoint)
        {
            var found = SKFontManager.Default.MatchCharacter(null, SKFontStyle.Normal, [locale.ToTag()], codePoint);
            if (found is null || !found.ContainsGlyph(codePoint))
            {
                found?.Dispose();
                return null;
            }

            var face = _faces.GetOrAdd((found.FamilyName, found.FontWeight, (int)found.FontSlant), found);
            if (!ReferenceEquals(face, found))
            {
                found.Dispose();
            }

            return face;
        }

        private static SKTypeface PickLatin()
        {
            foreach (var family in LatinFamilies)
            {
                var face = SKFontManager.Default.MatchFamily(family, SKFontStyle.Normal);
                if (face is not null && face.ContainsGlyph('A') && face.ContainsGlyph('ß'))
                {
                    return face;
                }

                face?.Dispose();
            }

            return SKTypeface.Default;
        }
    }

    /// <summary>Text split into code points, each with its face and advance at one size.</summary>
    private sealed class Measured
    {
        public Measured(string text, List<(int Start, int Length, SKTypeface Face, float Width)> runes, float size)
        {
            Text = text;
            Runes = runes;
            Size = size;
            Width = runes.Sum(r => r.Width);
        }

        public float Size { get; }

        public string Text { get; }

        public List<(int Start, int Length, SKTypeface Face, float Width)> Runes { get; }

        public float Width { get; }
    }

    /// <summary>One document's drawing state: the canvas, fonts by (face, size), and the characters no face could draw.</summary>
    private sealed class PageWriter(InvoiceDocument document, FontBook book) : IDisposable
    {
        private readonly InvoiceLabels _labels = InvoiceLabels.For(document.Locale);
        private readonly Dictionary<(SKTypeface Face, float Size), SKFont> _fonts = [];
        private readonly SKPaint _ink = new() { Color = SKColors.Black, IsAntialias = true };
        private readonly SKPaint _grey = new() { Color = new SKColor(0x55, 0x55, 0x55), IsAntialias = true };
        private readonly SKPaint _rule = new() { Color = new SKColor(0xAA, 0xAA, 0xAA), StrokeWidth = 0.6f, IsStroke = true };
        private SKCanvas _canvas = null!;

        public SortedSet<int> Missing { get; } = [];

        public byte[] Write()
        {
            var rows = document.Lines.Select(MeasureRow).ToList();
            var pages = Paginate(rows, out var totalsOnNewPage);
            var pageCount = pages.Count + (totalsOnNewPage ? 1 : 0);

            var metadata = SKDocumentPdfMetadata.Default;
            metadata.Title = document.FriendlyId;
            metadata.Subject = $"{_labels.Title} {document.FriendlyId}";
            metadata.Author = document.Operator.Name;
            metadata.Creator = "Tally";
            var issued = document.IssuedOn.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
            metadata.Creation = issued;
            metadata.Modified = issued;

            using var stream = new MemoryStream();
            using (var pdf = SKDocument.CreatePdf(stream, metadata))
            {
                for (var p = 0; p < pageCount; p++)
                {
                    _canvas = pdf.BeginPage(PageWidth, PageHeight);
                    var y = p == 0 ? DrawFirstHeader() : DrawContinuationHeader();
                    if (p < pages.Count)
                    {
                        y = DrawTableHeader(y);
                        foreach (var row in pages[p])
                        {
                            y = DrawRow(row, y);
                        }
                    }

                    if (p == pageCount - 1)
                    {
                        DrawTotals(y + 8);
                    }

                    DrawFooter(p + 1, pageCount);
                    pdf.EndPage();
                }

                pdf.Close();
            }

            return stream.ToArray();
        }

        public void Dispose()
        {
            foreach (var font in _fonts.Values)
            {
                font.Dispose();
            }

            _ink.Dispose();
            _grey.Dispose();
            _rule.Dispose();
        }

        // ---- layout -------------------------------------------------------------------------------------------

        private sealed record Row(List<Measured> NameLines, Measured? Description, string Quantity, string Unit, string Amount, float Height);

        private const float TableHeaderHeight = 22f;
        private const float TotalsHeight = 72f;

        private Row MeasureRow(InvoiceDocumentLine line)
        {
            var name = Wrap(Measure(line.Name, BodySize), ItemRight - Left, maxLines: 2);
            var description = string.IsNullOrWhiteSpace(line.Description)
                ? null
                : Truncate(Measure(line.Description, SmallSize), ItemRight - Left);
            var height = (name.Count * LineGap) + (description is null ? 0 : 11f) + 6f;
            return new Row(name, description, _labels.QuantityText(line.Quantity), line.Unit, _labels.Money(line.Amount), height);
        }

        private List<List<Row>> Paginate(List<Row> rows, out bool totalsOnNewPage)
        {
            var pages = new List<List<Row>> { new() };
            var y = FirstHeaderBottom() + TableHeaderHeight;
            foreach (var row in rows)
            {
                if (y + row.Height > ContentBottom && pages[^1].Count > 0)
                {
                    pages.Add([]);
                    y = ContinuationHeaderBottom + TableHeaderHeight;
                }

                pages[^1].Add(row);
                y += row.Height;
            }

            totalsOnNewPage = y + 8 + TotalsHeight > ContentBottom;
            return pages;
        }

        private const float ContinuationHeaderBottom = 84f;

        private float FirstHeaderBottom()
        {
            var operatorLines = PartyLines(document.Operator).Count;
            var tenantLines = PartyLines(document.Tenant).Count;
            return PartyTop + 14f + (Math.Max(operatorLines, tenantLines) * LineGap) + 24f;
        }

        private const float PartyTop = 150f;

        private static List<string> PartyLines(InvoiceParty party) => [party.Name, .. party.AddressLines];

        // ---- drawing ------------------------------------------------------------------------------------------

        private float DrawFirstHeader()
        {
            DrawText(Measure(_labels.Title, 22f), Left, 78f);

            var meta = new (string Label, string Value)[]
            {
                (_labels.InvoiceNumber, document.FriendlyId),
                (_labels.Issued, _labels.Date(document.IssuedOn)),
                (_labels.Due, _labels.Date(document.DueOn)),
                (_labels.Period, $"{_labels.Date(document.PeriodFrom)} – {_labels.Date(document.PeriodTo)}"),
                (_labels.Status, _labels.StatusName(document.Status)),
            };
            var y = 60f;
            foreach (var (label, value) in meta)
            {
                DrawText(Measure(label, BodySize), 320f, y, _grey);
                DrawRight(Measure(value, BodySize), Right, y);
                y += LineGap + 1f;
            }

            DrawParty(_labels.From, document.Operator, Left, 270f - Left);
            DrawParty(_labels.BillTo, document.Tenant, 320f, Right - 320f);
            return FirstHeaderBottom();
        }

        private void DrawParty(string heading, InvoiceParty party, float x, float width)
        {
            DrawText(Measure(heading, SmallSize), x, PartyTop, _grey);
            var y = PartyTop + 14f;
            foreach (var text in PartyLines(party))
            {
                DrawText(Truncate(Measure(text, BodySize), width), x, y);
                y += LineGap;
            }

            if (!string.IsNullOrEmpty(party.VatCode))
            {
                DrawText(Truncate(Measure($"{_labels.VatNumber} {party.VatCode}", SmallSize), width), x, y, _grey);
            }
        }

        private float DrawContinuationHeader()
        {
            DrawText(Measure($"{_labels.Title} {document.FriendlyId}", 12f), Left, 60f);
            return ContinuationHeaderBottom;
        }

        private float DrawTableHeader(float top)
        {
            var baseline = top + 12f;
            DrawText(Measure(_labels.Item, BodySize), Left, baseline);
            DrawRight(Measure(_labels.Quantity, BodySize), QuantityRight, baseline);
            DrawText(Truncate(Measure(_labels.Unit, BodySize), UnitRight - UnitLeft), UnitLeft, baseline);
            DrawRight(Measure(_labels.Amount, BodySize), Right, baseline);
            _canvas.DrawLine(Left, top + 17f, Right, top + 17f, _rule);
            return top + TableHeaderHeight;
        }

        private float DrawRow(Row row, float top)
        {
            var baseline = top + 10f;
            DrawRight(Measure(row.Quantity, BodySize), QuantityRight, baseline);
            DrawText(Truncate(Measure(row.Unit, BodySize), UnitRight - UnitLeft), UnitLeft, baseline);
            DrawRight(Measure(row.Amount, BodySize), Right, baseline);
            foreach (var line in row.NameLines)
            {
                DrawText(line, Left, baseline);
                baseline += LineGap;
            }

            if (row.Description is not null)
            {
                DrawText(row.Description, Left, baseline - 1f, _grey);
            }

            return top + row.Height;
        }

        private void DrawTotals(float top)
        {
            _canvas.DrawLine(300f, top, Right, top, _rule);
            var y = top + 16f;
            DrawText(Measure(_labels.Subtotal, BodySize), 320f, y);
            DrawRight(Measure(_labels.Money(document.Subtotal), BodySize), Right, y);
            y += 15f;
            DrawText(Measure(_labels.VatWithRate(document.VatRate), BodySize), 320f, y);
            DrawRight(Measure(_labels.Money(document.Vat), BodySize), Right, y);
            y += 8f;
            _canvas.DrawLine(300f, y, Right, y, _rule);
            y += 16f;
            DrawText(Measure(_labels.Total, 11f), 320f, y);
            DrawRight(Measure(_labels.Money(document.Total), 11f), Right, y);
        }

        private void DrawFooter(int page, int pages)
        {
            _canvas.DrawLine(Left, FooterBaseline - 12f, Right, FooterBaseline - 12f, _rule);
            DrawText(Measure($"{document.Operator.Name} · {document.FriendlyId}", SmallSize), Left, FooterBaseline, _grey);
            DrawRight(Measure(_labels.Page(page, pages), SmallSize), Right, FooterBaseline, _grey);
        }

        // ---- text ---------------------------------------------------------------------------------------------

        private SKFont Font(SKTypeface face, float size)
        {
            if (!_fonts.TryGetValue((face, size), out var font))
            {
                font = new SKFont(face, size) { Subpixel = true, LinearMetrics = true, Hinting = SKFontHinting.None };
                _fonts[(face, size)] = font;
            }

            return font;
        }

        /// <summary>Splits <paramref name="text"/> into code points with their faces and advances.</summary>
        private Measured Measure(string text, float size)
        {
            // A text that needs a non-Latin face draws every character that face has with it (digits and spaces of
            // "2026年12月1日" too): one face per text keeps its glyphs on one baseline for text extraction.
            var latin = book.Latin;
            SKTypeface? primary = null;
            foreach (var rune in text.EnumerateRunes())
            {
                if (!Rune.IsWhiteSpace(rune) && !Rune.IsControl(rune) && !latin.ContainsGlyph(rune.Value))
                {
                    primary = book.For(rune.Value, document.Locale);
                    if (primary is not null)
                    {
                        break;
                    }
                }
            }

            var runes = new List<(int Start, int Length, SKTypeface Face, float Width)>(text.Length);
            var index = 0;
            foreach (var rune in text.EnumerateRunes())
            {
                var face = primary is not null && primary.ContainsGlyph(rune.Value) ? primary : Face(rune);
                runes.Add((index, rune.Utf16SequenceLength, face, 0f));
                index += rune.Utf16SequenceLength;
            }

            // Advances run by run of one face: one native call per run.
            var start = 0;
            while (start < runes.Count)
            {
                var end = start + 1;
                while (end < runes.Count && ReferenceEquals(runes[end].Face, runes[start].Face))
                {
                    end++;
                }

                var from = runes[start].Start;
                var to = runes[end - 1].Start + runes[end - 1].Length;
                var widths = Font(runes[start].Face, size).GetGlyphWidths(text.AsSpan(from, to - from), null);
                for (var i = start; i < end && i - start < widths.Length; i++)
                {
                    runes[i] = runes[i] with { Width = widths[i - start] };
                }

                start = end;
            }

            return new Measured(text, runes, size);
        }

        private SKTypeface Face(Rune rune)
        {
            if (Rune.IsControl(rune))
            {
                return book.Primary(document.Locale) ?? book.Latin;
            }

            var face = book.For(rune.Value, document.Locale);
            if (face is null)
            {
                Missing.Add(rune.Value);
                return book.Latin;
            }

            return face;
        }

        private static Measured Slice(Measured text, int from, int to, string? suffix = null, Measured? suffixMeasured = null)
        {
            var runes = text.Runes.GetRange(from, to - from);
            if (runes.Count == 0)
            {
                return suffixMeasured ?? new Measured("", [], text.Size);
            }

            var offset = runes[0].Start;
            var end = runes[^1].Start + runes[^1].Length;
            var builder = new StringBuilder(text.Text, offset, end - offset, end - offset + 1);
            var shifted = runes.Select(r => r with { Start = r.Start - offset }).ToList();
            if (suffixMeasured is not null && suffix is not null)
            {
                shifted.AddRange(suffixMeasured.Runes.Select(r => r with { Start = r.Start + builder.Length }));
                builder.Append(suffix);
            }

            return new Measured(builder.ToString(), shifted, text.Size);
        }

        /// <summary><paramref name="text"/> cut to <paramref name="width"/>, ending in "…" when cut.</summary>
        private Measured Truncate(Measured text, float width)
        {
            if (text.Width <= width)
            {
                return text;
            }

            var ellipsis = Measure(Ellipsis, text.Size);
            var used = 0f;
            var count = 0;
            while (count < text.Runes.Count && used + text.Runes[count].Width + ellipsis.Width <= width)
            {
                used += text.Runes[count].Width;
                count++;
            }

            while (count > 0 && Rune.IsWhiteSpace(Rune.GetRuneAt(text.Text, text.Runes[count - 1].Start)))
            {
                count--;
            }

            return Slice(text, 0, count, Ellipsis, ellipsis);
        }

        /// <summary>
        /// Greedy wrap into at most <paramref name="maxLines"/> lines of <paramref name="width"/>: breaks after spaces and
        /// around CJK characters, inside a word only when one word is wider than a line; the last line is cut with "…".
        /// </summary>
        private List<Measured> Wrap(Measured text, float width, int maxLines)
        {
            var lines = new List<Measured>();
            var runes = text.Runes;
            var start = 0;
            while (start < runes.Count)
            {
                if (lines.Count == maxLines - 1)
                {
                    lines.Add(Truncate(Slice(text, start, runes.Count), width));
                    return lines;
                }

                var used = 0f;
                var end = start;
                var lastBreak = -1;
                while (end < runes.Count && used + runes[end].Width <= width)
                {
                    used += runes[end].Width;
                    end++;
                    if (end < runes.Count && CanBreakBefore(text, end))
                    {
                        lastBreak = end;
                    }
                }

                if (end < runes.Count && lastBreak > start)
                {
                    end = lastBreak;
                }

                if (end == start)
                {
                    end = start + 1; // a single code point wider than the line
                }

                lines.Add(Slice(text, start, end));
                start = end;
                while (start < runes.Count && IsSpace(text, start))
                {
                    start++;
                }
            }

            if (lines.Count == 0)
            {
                lines.Add(text);
            }

            return lines;
        }

        private static bool IsSpace(Measured text, int index) => Rune.IsWhiteSpace(Rune.GetRuneAt(text.Text, text.Runes[index].Start));

        private static bool IsWide(Measured text, int index) => Rune.GetRuneAt(text.Text, text.Runes[index].Start).Value >= 0x2E80;

        private static bool CanBreakBefore(Measured text, int index) =>
            IsSpace(text, index) || IsSpace(text, index - 1) || IsWide(text, index) || IsWide(text, index - 1);

        private void DrawRight(Measured text, float right, float baseline, SKPaint? paint = null) =>
            DrawText(text, right - text.Width, baseline, paint);

        private void DrawText(Measured text, float x, float baseline, SKPaint? paint = null)
        {
            var runes = text.Runes;
            var start = 0;
            while (start < runes.Count)
            {
                var end = start + 1;
                var width = runes[start].Width;
                while (end < runes.Count && ReferenceEquals(runes[end].Face, runes[start].Face))
                {
                    width += runes[end].Width;
                    end++;
                }

                var from = runes[start].Start;
                var to = runes[end - 1].Start + runes[end - 1].Length;
                _canvas.DrawText(text.Text[from..to], x, baseline, Font(runes[start].Face, text.Size), paint ?? _ink);
                x += width;
                start = end;
            }
        }
    }
}
