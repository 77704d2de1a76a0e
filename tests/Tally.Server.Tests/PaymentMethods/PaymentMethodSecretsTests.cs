using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tally.Domain.Payments;
using Tally.Server.Tests.Infrastructure;
using Tally.Storage;
using static Tally.Server.Tests.PaymentMethods.PaymentMethodTestKit;

namespace Tally.Server.Tests.PaymentMethods;

/// <summary>
/// After payment methods are created (and card numbers are tried in every body field), no card-like number appears in
/// the database (SQLite: the file and its WAL, byte for byte; PostgreSQL: the rows as text) or in anything logged at any
/// level. Its own class, so its database holds only what this test wrote.
/// </summary>
public abstract partial class PaymentMethodSecretsTests(TallyFixture fx)
{
    private static readonly string[] Cards = ["4242424242424242", "4000 0566 5566 5556", "5555-5555-5555-4444", "378282246310005", "6011111111111117"];

    private static readonly string[] Tokens = ["tok_visa", "tok_mastercard", "tok_amex", "tok_chargeCustomerFail", "tok_chargeDeclined", "tok_chargeDeclinedInsufficientFunds"];

    [Fact]
    public async Task No_card_number_or_token_reaches_the_database_or_the_logs()
    {
        var logs = Capture();
        var tenant = await fx.CreateTenantAsync();
        var (_, secret) = await fx.CreateTokenAsync(tenant);
        using var client = fx.Client(secret);
        var contact = """{"address1":"1234 Main road","city":"Sunnyvale","zip_code":"95054","phone_number":"+11234567890","contact_type":"BILLING"}""";
        var primary = await CreateAsync(client, "tok_visa", "PRIMARY", contact);
        var secondary = await CreateAsync(client, "tok_mastercard", "SECONDARY");
        await CreateAsync(client, "tok_amex");
        await CreateAsync(client, "tok_chargeCustomerFail", "NORMAL");
        Assert.Equal(HttpStatusCode.PaymentRequired, (await PostCreateAsync(client, CreateBody("tok_chargeDeclined"))).StatusCode);
        Assert.Equal(HttpStatusCode.PaymentRequired, (await PostCreateAsync(client, CreateBody("tok_chargeDeclinedInsufficientFunds"))).StatusCode);

        foreach (var card in Cards)
        {
            Assert.Equal(HttpStatusCode.BadRequest, (await PostCreateAsync(client, CreateBody(card, "PRIMARY"))).StatusCode);
            Assert.Equal(HttpStatusCode.BadRequest, (await PostCreateAsync(client, CreateBody("tok_visa", contactJson: new JsonObject { ["phone_number"] = card }.ToJsonString()))).StatusCode);
            Assert.Equal(HttpStatusCode.BadRequest, (await PostCreateAsync(client, $$"""{"token":"tok_visa","card_number":"{{card}}"}""")).StatusCode);
            Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsync(RoleUrl(secondary, "swap-primary"), TallyFixture.Json(NameBody(card)))).StatusCode);
        }

        await ChangeAsync(client, secondary, "swap-primary");
        Assert.Equal(HttpStatusCode.OK, (await client.DeleteAsync(MethodUrl(primary))).StatusCode);
        Assert.Equal(3, (await ItemsAsync(client, tenant)).Count);

        var stored = await DatabaseTextAsync();
        var logged = string.Join("\n", logs.Lines);
        Assert.Contains("payment-method-", stored, StringComparison.Ordinal);
        Assert.Contains("/billing/payment_methods", logged, StringComparison.Ordinal);
        // EF's migration history stores each migration's timestamp (14 digits, some of which pass Luhn).
        await using var context = fx.Services.GetRequiredService<TallyDatabase>().CreateContext();
        var migrationStamps = context.Database.GetMigrations().Select(m => m.Split('_')[0]).ToHashSet(StringComparer.Ordinal);
        foreach (var (what, text) in new[] { ("database", stored), ("logs", logged) })
        {
            var runs = CardLikeRuns(text).Where(r => !migrationStamps.Contains(r)).ToList();
            Assert.True(runs.Count == 0, $"card-like numbers in the {what}: {string.Join(", ", runs)}");
            foreach (var card in Cards)
            {
                Assert.DoesNotContain(card, text, StringComparison.Ordinal);
                Assert.DoesNotContain(Digits(card), text, StringComparison.Ordinal);
            }

            foreach (var token in Tokens)
            {
                Assert.DoesNotContain(token, text, StringComparison.Ordinal);
            }
        }
    }

    [Theory]
    [InlineData("x 4242 4242 4242 4242 y", true)]
    [InlineData("\u00014000056655665556\u0002", true)]
    [InlineData("\"5555-5555-5555-4444\"", true)]
    [InlineData("4242424242424241", false)]
    [InlineData("a4242424242424242", false)]
    [InlineData("+11234567890", false)]
    public void The_scan_finds_card_numbers_standing_alone_in_text_or_bytes(string text, bool found) =>
        Assert.Equal(found, CardLikeRuns(text).Count > 0);

    /// <summary>
    /// Digit runs (single spaces or hyphens allowed between digits) of 13–19 digits that pass Luhn and touch no letter or
    /// digit on either side: what a stored or logged card number looks like. Runs glued to letters (hex hashes, ids) are
    /// left to the exact searches for the numbers this test sent.
    /// </summary>
    private static List<string> CardLikeRuns(string text) =>
        [.. DigitRun().Matches(text).Select(m => m.Value).Where(CardNumbers.LooksLikeCardNumber)];

    private static string Digits(string text) => new([.. text.Where(char.IsAsciiDigit)]);

    private async Task<string> DatabaseTextAsync()
    {
        if (fx.Engine == DatabaseEngine.Sqlite)
        {
            var text = new StringBuilder();
            foreach (var path in new[] { fx.ConnectionString, fx.ConnectionString + "-wal" })
            {
                if (File.Exists(path))
                {
                    await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                    using var bytes = new MemoryStream();
                    await file.CopyToAsync(bytes);
                    text.Append(Encoding.Latin1.GetString(bytes.ToArray())).Append('\n');
                }
            }

            return text.ToString();
        }

        await using var db = fx.Services.GetRequiredService<TallyDatabase>().CreateContext();
        var rows = await db.Database.SqlQueryRaw<string>("SELECT p::text AS \"Value\" FROM payment_methods p").ToListAsync();
        Assert.NotEmpty(rows);
        return string.Join("\n", rows);
    }

    /// <summary>Adds a logger provider that receives every category at every level (Trace and up).</summary>
    private LogCapture Capture()
    {
        var capture = new LogCapture();
        fx.Services.GetRequiredService<IOptionsMonitor<LoggerFilterOptions>>().CurrentValue.Rules
            .Add(new LoggerFilterRule(typeof(LogCapture).FullName, null, LogLevel.Trace, null));
        fx.Services.GetRequiredService<ILoggerFactory>().AddProvider(capture);
        return capture;
    }

    [GeneratedRegex("(?<![0-9A-Za-z])[0-9](?:[ -]?[0-9]){12,18}(?![0-9A-Za-z]|[ -][0-9])", RegexOptions.CultureInvariant)]
    private static partial Regex DigitRun();

    private sealed class LogCapture : ILoggerProvider
    {
        public ConcurrentQueue<string> Lines { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose()
        {
        }

        private sealed class Logger(LogCapture capture, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull
            {
                capture.Lines.Enqueue($"{category} scope {state}");
                return null;
            }

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                var values = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(" ", pairs.Select(p => $"{p.Key}={p.Value}")) : "";
                capture.Lines.Enqueue($"{logLevel} {category} {formatter(state, exception)} {values} {exception}");
            }
        }
    }
}

public sealed class PaymentMethodSecretsTestsOnSqlite(SqliteFixture fx) : PaymentMethodSecretsTests(fx), IClassFixture<SqliteFixture>;

public sealed class PaymentMethodSecretsTestsOnPostgres(PostgresFixture fx) : PaymentMethodSecretsTests(fx), IClassFixture<PostgresFixture>;
