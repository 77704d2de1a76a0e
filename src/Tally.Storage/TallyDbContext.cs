using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Tally.Storage.Entities;

namespace Tally.Storage;

/// <summary>
/// The EF Core model. Every table's key starts with the tenant id. Engine-specific subclasses
/// (<see cref="SqliteTallyDbContext"/>, <see cref="PostgresTallyDbContext"/>) exist only to carry their own migration sets.
/// </summary>
public abstract class TallyDbContext(DbContextOptions options) : DbContext(options)
{
    public DbSet<TenantRow> Tenants => Set<TenantRow>();

    public DbSet<NamespaceRow> Namespaces => Set<NamespaceRow>();

    public DbSet<ApiTokenRow> ApiTokens => Set<ApiTokenRow>();

    public DbSet<QuotaObjectRow> QuotaObjects => Set<QuotaObjectRow>();

    public DbSet<QuotaCountRow> QuotaCounts => Set<QuotaCountRow>();

    public DbSet<MetricRow> Metrics => Set<MetricRow>();

    public DbSet<PlanRow> Plans => Set<PlanRow>();

    public DbSet<AddOnRow> AddOns => Set<AddOnRow>();

    public DbSet<UsageEventRow> UsageEvents => Set<UsageEventRow>();

    public DbSet<UsageHourlyRow> UsageHourly => Set<UsageHourlyRow>();

    public DbSet<UsageMetricHourlyRow> UsageMetricHourly => Set<UsageMetricHourlyRow>();

    public DbSet<UsageDailyRow> UsageDaily => Set<UsageDailyRow>();

    public DbSet<PlanSubscriptionRow> PlanSubscriptions => Set<PlanSubscriptionRow>();

    public DbSet<AddOnSubscriptionRow> AddOnSubscriptions => Set<AddOnSubscriptionRow>();

    public DbSet<PaymentMethodRow> PaymentMethods => Set<PaymentMethodRow>();

    public DbSet<PlanTransitionRow> PlanTransitions => Set<PlanTransitionRow>();

    public DbSet<InvoiceRow> Invoices => Set<InvoiceRow>();

    public DbSet<InvoiceLineItemRow> InvoiceLineItems => Set<InvoiceLineItemRow>();

    public DbSet<PaymentTransactionRow> PaymentTransactions => Set<PaymentTransactionRow>();

    public DbSet<InvoiceCounterRow> InvoiceCounters => Set<InvoiceCounterRow>();

    public DbSet<InvoicePdfRow> InvoicePdfs => Set<InvoicePdfRow>();

    public DbSet<BillingRunRow> BillingRuns => Set<BillingRunRow>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<TenantRow>(e =>
        {
            e.ToTable("tenants");
            e.HasKey(x => x.TenantId);
            e.Property(x => x.TenantId).HasColumnName("tenant_id").HasMaxLength(63);
            e.Property(x => x.DisplayName).HasColumnName("display_name").HasMaxLength(256);
            e.Property(x => x.Currency).HasColumnName("currency").HasMaxLength(3);
            e.Property(x => x.TimeZone).HasColumnName("time_zone").HasMaxLength(64);
            e.Property(x => x.Locale).HasColumnName("locale").HasMaxLength(8);
            e.Property(x => x.BillingMode).HasColumnName("billing_mode").HasMaxLength(16);
            e.Property(x => x.VatRate).HasColumnName("vat_rate").HasMaxLength(16);
            e.Property(x => x.VatCode).HasColumnName("vat_code").HasMaxLength(64);
            e.Property(x => x.AddressJson).HasColumnName("address_json");
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
            e.Property(x => x.UpdatedAt).HasColumnName("updated_at");
            e.Property(x => x.BilledThrough).HasColumnName("billed_through");
        });

        modelBuilder.Entity<NamespaceRow>(e =>
        {
            e.ToTable("namespaces");
            e.HasKey(x => new { x.TenantId, x.Name });
            e.Property(x => x.TenantId).HasColumnName("tenant_id").HasMaxLength(63);
            e.Property(x => x.Name).HasColumnName("name").HasMaxLength(63);
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
        });

        modelBuilder.Entity<ApiTokenRow>(e =>
        {
            e.ToTable("api_tokens");
            e.HasKey(x => new { x.TenantId, x.Id });
            e.HasIndex(x => x.SecretHash).IsUnique();
            e.Property(x => x.TenantId).HasColumnName("tenant_id").HasMaxLength(63);
            e.Property(x => x.Id).HasColumnName("id").HasMaxLength(40);
            e.Property(x => x.SecretHash).HasColumnName("secret_hash").HasMaxLength(64);
            e.Property(x => x.Name).HasColumnName("name").HasMaxLength(128);
            e.Property(x => x.Role).HasColumnName("role").HasMaxLength(16);
            e.Property(x => x.Permissions).HasColumnName("permissions");
            e.Property(x => x.Scopes).HasColumnName("scopes");
            e.Property(x => x.Namespaces).HasColumnName("namespaces");
            e.Property(x => x.ExpiresAt).HasColumnName("expires_at");
            e.Property(x => x.RevokedAt).HasColumnName("revoked_at");
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
            e.Property(x => x.CreatedBy).HasColumnName("created_by").HasMaxLength(40);
        });

        modelBuilder.Entity<QuotaObjectRow>(e =>
        {
            e.ToTable("quota_objects");
            e.HasKey(x => new { x.TenantId, x.Namespace, x.Name });
            e.Property(x => x.TenantId).HasColumnName("tenant_id").HasMaxLength(63);
            e.Property(x => x.Namespace).HasColumnName("namespace").HasMaxLength(63);
            e.Property(x => x.Name).HasColumnName("name").HasMaxLength(63);
            e.Property(x => x.Uid).HasColumnName("uid").HasMaxLength(36);
            e.Property(x => x.Description).HasColumnName("description");
            e.Property(x => x.Disabled).HasColumnName("disabled");
            e.Property(x => x.LabelsJson).HasColumnName("labels_json");
            e.Property(x => x.AnnotationsJson).HasColumnName("annotations_json");
            e.Property(x => x.SpecJson).HasColumnName("spec_json");
            e.Property(x => x.CreatorId).HasColumnName("creator_id").HasMaxLength(128);
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
            e.Property(x => x.ModifiedAt).HasColumnName("modified_at");
        });

        modelBuilder.Entity<QuotaCountRow>(e =>
        {
            e.ToTable("quota_counts");
            e.HasKey(x => new { x.TenantId, x.Namespace, x.Kind, x.Key });
            e.Property(x => x.TenantId).HasColumnName("tenant_id").HasMaxLength(63);
            e.Property(x => x.Namespace).HasColumnName("namespace").HasMaxLength(63);
            e.Property(x => x.Kind).HasColumnName("kind").HasMaxLength(16);
            e.Property(x => x.Key).HasColumnName("key").HasMaxLength(512);
            e.Property(x => x.CurrentMicros).HasColumnName("current_micros");
        });

        modelBuilder.Entity<MetricRow>(e =>
        {
            e.ToTable("metrics");
            e.HasKey(x => x.Name);
            e.Property(x => x.Name).HasColumnName("name").HasMaxLength(63);
            e.Property(x => x.DefinitionJson).HasColumnName("definition_json");
            e.Property(x => x.UpdatedAt).HasColumnName("updated_at");
        });

        modelBuilder.Entity<PlanRow>(e =>
        {
            e.ToTable("plans");
            e.HasKey(x => x.Name);
            e.Property(x => x.Name).HasColumnName("name").HasMaxLength(63);
            e.Property(x => x.DefinitionJson).HasColumnName("definition_json");
            e.Property(x => x.UpdatedAt).HasColumnName("updated_at");
        });

        modelBuilder.Entity<AddOnRow>(e =>
        {
            e.ToTable("addons");
            e.HasKey(x => x.Name);
            e.Property(x => x.Name).HasColumnName("name").HasMaxLength(63);
            e.Property(x => x.DefinitionJson).HasColumnName("definition_json");
            e.Property(x => x.UpdatedAt).HasColumnName("updated_at");
        });

        modelBuilder.Entity<UsageEventRow>(e =>
        {
            e.ToTable("usage_events");
            e.HasKey(x => new { x.TenantId, x.EventId });
            e.Property(x => x.TenantId).HasColumnName("tenant_id").HasMaxLength(63);
            e.Property(x => x.EventId).HasColumnName("event_id").HasMaxLength(128);
            e.Property(x => x.Namespace).HasColumnName("namespace").HasMaxLength(63);
            e.Property(x => x.Metric).HasColumnName("metric").HasMaxLength(63);
            e.Property(x => x.ObjectName).HasColumnName("object_name").HasMaxLength(256);
            e.Property(x => x.QuantityMicros).HasColumnName("quantity_micros");
            e.Property(x => x.OccurredAtUs).HasColumnName("occurred_at_us");
            e.Property(x => x.LabelsJson).HasColumnName("labels_json");
            e.Property(x => x.ReceivedAtUs).HasColumnName("received_at_us");
        });

        modelBuilder.Entity<UsageHourlyRow>(e =>
        {
            e.ToTable("usage_hourly");
            e.HasKey(x => new { x.TenantId, x.Namespace, x.Metric, x.ObjectName, x.HourStart });
            e.HasIndex(x => new { x.TenantId, x.HourStart }).HasDatabaseName("ix_usage_hourly_tenant_hour");
            e.Property(x => x.TenantId).HasColumnName("tenant_id").HasMaxLength(63);
            e.Property(x => x.Namespace).HasColumnName("namespace").HasMaxLength(63);
            e.Property(x => x.Metric).HasColumnName("metric").HasMaxLength(63);
            e.Property(x => x.ObjectName).HasColumnName("object_name").HasMaxLength(256);
            e.Property(x => x.HourStart).HasColumnName("hour_start");
            e.Property(x => x.SumMicros).HasColumnName("sum_micros");
            e.Property(x => x.MaxMicros).HasColumnName("max_micros");
            e.Property(x => x.EventCount).HasColumnName("event_count");
        });

        // Keyed like usage_daily: tenant, then time, so one tenant's hour range is one index range.
        modelBuilder.Entity<UsageMetricHourlyRow>(e =>
        {
            e.ToTable("usage_metric_hourly");
            e.HasKey(x => new { x.TenantId, x.HourStart, x.Namespace, x.Metric });
            e.Property(x => x.TenantId).HasColumnName("tenant_id").HasMaxLength(63);
            e.Property(x => x.HourStart).HasColumnName("hour_start");
            e.Property(x => x.Namespace).HasColumnName("namespace").HasMaxLength(63);
            e.Property(x => x.Metric).HasColumnName("metric").HasMaxLength(63);
            e.Property(x => x.SumMicros).HasColumnName("sum_micros");
            e.Property(x => x.MaxMicros).HasColumnName("max_micros");
            e.Property(x => x.EventCount).HasColumnName("event_count");
        });

        modelBuilder.Entity<UsageDailyRow>(e =>
        {
            e.ToTable("usage_daily");
            e.HasKey(x => new { x.TenantId, x.DayStart, x.Namespace, x.Metric });
            e.Property(x => x.TenantId).HasColumnName("tenant_id").HasMaxLength(63);
            e.Property(x => x.DayStart).HasColumnName("day_start");
            e.Property(x => x.Namespace).HasColumnName("namespace").HasMaxLength(63);
            e.Property(x => x.Metric).HasColumnName("metric").HasMaxLength(63);
            e.Property(x => x.SumMicros).HasColumnName("sum_micros");
            e.Property(x => x.MaxMicros).HasColumnName("max_micros");
            e.Property(x => x.EventCount).HasColumnName("event_count");
        });

        modelBuilder.Entity<PlanSubscriptionRow>(e =>
        {
            e.ToTable("plan_subscriptions");
            e.HasKey(x => new { x.TenantId, x.Id });
            e.HasIndex(x => new { x.TenantId, x.StartsAt }).HasDatabaseName("ix_plan_subscriptions_tenant_start");
            e.HasIndex(x => x.Plan).HasDatabaseName("ix_plan_subscriptions_plan");
            e.Property(x => x.TenantId).HasColumnName("tenant_id").HasMaxLength(63);
            e.Property(x => x.Id).HasColumnName("id").HasMaxLength(40);
            e.Property(x => x.Plan).HasColumnName("plan").HasMaxLength(63);
            e.Property(x => x.StartsAt).HasColumnName("starts_at");
            e.Property(x => x.EndsAt).HasColumnName("ends_at");
            e.Property(x => x.TrialEndsAt).HasColumnName("trial_ends_at");
            e.Property(x => x.CancelledAt).HasColumnName("cancelled_at");
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
        });

        modelBuilder.Entity<AddOnSubscriptionRow>(e =>
        {
            e.ToTable("addon_subscriptions");
            e.HasKey(x => new { x.TenantId, x.Id });
            e.HasIndex(x => new { x.TenantId, x.AddOn }).HasDatabaseName("ix_addon_subscriptions_open")
                .IsUnique().HasFilter("ends_at IS NULL");
            e.Property(x => x.TenantId).HasColumnName("tenant_id").HasMaxLength(63);
            e.Property(x => x.Id).HasColumnName("id").HasMaxLength(40);
            e.Property(x => x.AddOn).HasColumnName("addon").HasMaxLength(63);
            e.Property(x => x.StartsAt).HasColumnName("starts_at");
            e.Property(x => x.EndsAt).HasColumnName("ends_at");
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
        });

        modelBuilder.Entity<PaymentMethodRow>(e =>
        {
            e.ToTable("payment_methods");
            e.HasKey(x => new { x.TenantId, x.Name });
            e.HasIndex(x => new { x.TenantId, x.Role }, "ix_payment_methods_one_primary")
                .IsUnique().HasFilter("role = 'primary'");
            e.HasIndex(x => new { x.TenantId, x.Role }, "ix_payment_methods_one_secondary")
                .IsUnique().HasFilter("role = 'secondary'");
            e.Property(x => x.TenantId).HasColumnName("tenant_id").HasMaxLength(63);
            e.Property(x => x.Name).HasColumnName("name").HasMaxLength(63);
            e.Property(x => x.Role).HasColumnName("role").HasMaxLength(16);
            e.Property(x => x.Brand).HasColumnName("brand").HasMaxLength(32);
            e.Property(x => x.Last4).HasColumnName("last4").HasMaxLength(4);
            e.Property(x => x.ExpMonth).HasColumnName("exp_month");
            e.Property(x => x.ExpYear).HasColumnName("exp_year");
            e.Property(x => x.ContactJson).HasColumnName("contact_json");
            e.Property(x => x.Gateway).HasColumnName("gateway").HasMaxLength(32);
            e.Property(x => x.GatewayReference).HasColumnName("gateway_reference").HasMaxLength(256);
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
        });

        modelBuilder.Entity<PlanTransitionRow>(e =>
        {
            e.ToTable("plan_transitions");
            e.HasKey(x => new { x.TenantId, x.Id });
            e.HasIndex(x => x.Id).IsUnique().HasDatabaseName("ix_plan_transitions_id");
            e.HasIndex(x => new { x.State, x.CreatedAt }).HasDatabaseName("ix_plan_transitions_state");
            e.Property(x => x.TenantId).HasColumnName("tenant_id").HasMaxLength(63);
            e.Property(x => x.Id).HasColumnName("id").HasMaxLength(36);
            e.Property(x => x.FromPlan).HasColumnName("from_plan").HasMaxLength(63);
            e.Property(x => x.NewPlan).HasColumnName("new_plan").HasMaxLength(63);
            e.Property(x => x.State).HasColumnName("state").HasMaxLength(32);
            e.Property(x => x.Reason).HasColumnName("reason").HasMaxLength(1024);
            e.Property(x => x.RequiresManualApproval).HasColumnName("requires_manual_approval");
            e.Property(x => x.PayloadJson).HasColumnName("payload_json");
            e.Property(x => x.PaymentMethod).HasColumnName("payment_method").HasMaxLength(63);
            e.Property(x => x.RequestedBy).HasColumnName("requested_by").HasMaxLength(40);
            e.Property(x => x.DecidedBy).HasColumnName("decided_by").HasMaxLength(40);
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
            e.Property(x => x.UpdatedAt).HasColumnName("updated_at");
        });

        modelBuilder.Entity<InvoiceRow>(e =>
        {
            e.ToTable("invoices");
            e.HasKey(x => new { x.TenantId, x.Id });
            e.HasIndex(x => x.Id).IsUnique().HasDatabaseName("ix_invoices_id");
            e.HasIndex(x => x.FriendlyId).IsUnique().HasDatabaseName("ix_invoices_friendly_id");
            e.HasIndex(x => new { x.TenantId, x.Period, x.CreationType, x.State }).HasDatabaseName("ix_invoices_tenant_period");
            e.HasIndex(x => new { x.State, x.DueAt }).HasDatabaseName("ix_invoices_state_due");
            e.Property(x => x.TenantId).HasColumnName("tenant_id").HasMaxLength(63);
            e.Property(x => x.Id).HasColumnName("id").ValueGeneratedNever();
            e.Property(x => x.FriendlyId).HasColumnName("friendly_id").HasMaxLength(16);
            e.Property(x => x.CreationType).HasColumnName("creation_type").HasMaxLength(16);
            e.Property(x => x.State).HasColumnName("state").HasMaxLength(16);
            e.Property(x => x.Period).HasColumnName("period").HasMaxLength(7);
            e.Property(x => x.PeriodStart).HasColumnName("period_start");
            e.Property(x => x.PeriodEnd).HasColumnName("period_end");
            e.Property(x => x.Currency).HasColumnName("currency").HasMaxLength(3);
            e.Property(x => x.VatRate).HasColumnName("vat_rate").HasMaxLength(16);
            e.Property(x => x.VatCode).HasColumnName("vat_code").HasMaxLength(64);
            e.Property(x => x.SubtotalMinor).HasColumnName("subtotal_minor");
            e.Property(x => x.VatMinor).HasColumnName("vat_minor");
            e.Property(x => x.TotalMinor).HasColumnName("total_minor");
            e.Property(x => x.Locale).HasColumnName("locale").HasMaxLength(8);
            e.Property(x => x.FromAddressJson).HasColumnName("from_address_json");
            e.Property(x => x.ToAddressJson).HasColumnName("to_address_json");
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
            e.Property(x => x.UpdatedAt).HasColumnName("updated_at");
            e.Property(x => x.FinalizedAt).HasColumnName("finalized_at");
            e.Property(x => x.IssuedAt).HasColumnName("issued_at");
            e.Property(x => x.DueAt).HasColumnName("due_at");
            e.Property(x => x.PaidAt).HasColumnName("paid_at");
            e.Property(x => x.ChargeAttempts).HasColumnName("charge_attempts");
            e.Property(x => x.LastChargeAttemptAt).HasColumnName("last_charge_attempt_at");
        });

        modelBuilder.Entity<InvoiceLineItemRow>(e =>
        {
            e.ToTable("invoice_line_items");
            e.HasKey(x => new { x.TenantId, x.Id });
            e.HasIndex(x => x.Id).IsUnique().HasDatabaseName("ix_invoice_line_items_id");
            e.HasIndex(x => new { x.TenantId, x.SourceKey }).IsUnique().HasDatabaseName("ix_invoice_line_items_source_key");
            e.HasIndex(x => new { x.TenantId, x.InvoiceId }).HasDatabaseName("ix_invoice_line_items_invoice");
            e.Property(x => x.TenantId).HasColumnName("tenant_id").HasMaxLength(63);
            e.Property(x => x.Id).HasColumnName("id").ValueGeneratedNever();
            e.Property(x => x.InvoiceId).HasColumnName("invoice_id");
            e.Property(x => x.SourceKey).HasColumnName("source_key").HasMaxLength(512);
            e.Property(x => x.Type).HasColumnName("type").HasMaxLength(32);
            e.Property(x => x.Name).HasColumnName("name").HasMaxLength(512);
            e.Property(x => x.Description).HasColumnName("description").HasMaxLength(1024);
            e.Property(x => x.Quantity).HasColumnName("quantity").HasMaxLength(40);
            e.Property(x => x.AmountMinor).HasColumnName("amount_minor");
            e.Property(x => x.PeriodStart).HasColumnName("period_start");
            e.Property(x => x.PeriodEnd).HasColumnName("period_end");
            e.Property(x => x.Metric).HasColumnName("metric").HasMaxLength(63);
            e.Property(x => x.Plan).HasColumnName("plan").HasMaxLength(63);
            e.Property(x => x.ContractId).HasColumnName("contract_id").HasMaxLength(40);
            e.Property(x => x.ContractType).HasColumnName("contract_type").HasMaxLength(32);
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
        });

        modelBuilder.Entity<PaymentTransactionRow>(e =>
        {
            e.ToTable("payment_transactions");
            e.HasKey(x => new { x.TenantId, x.Id });
            e.HasIndex(x => x.Id).IsUnique().HasDatabaseName("ix_payment_transactions_id");
            e.HasIndex(x => new { x.TenantId, x.IdempotencyKey }).IsUnique().HasDatabaseName("ix_payment_transactions_key");
            e.HasIndex(x => new { x.TenantId, x.InvoiceId }).HasDatabaseName("ix_payment_transactions_invoice");
            e.Property(x => x.TenantId).HasColumnName("tenant_id").HasMaxLength(63);
            e.Property(x => x.Id).HasColumnName("id").ValueGeneratedNever();
            e.Property(x => x.InvoiceId).HasColumnName("invoice_id");
            e.Property(x => x.IdempotencyKey).HasColumnName("idempotency_key").HasMaxLength(128);
            e.Property(x => x.Reference).HasColumnName("reference").HasMaxLength(256);
            e.Property(x => x.Success).HasColumnName("success");
            e.Property(x => x.AmountMinor).HasColumnName("amount_minor");
            e.Property(x => x.Currency).HasColumnName("currency").HasMaxLength(3);
            e.Property(x => x.Action).HasColumnName("action").HasMaxLength(16);
            e.Property(x => x.Message).HasColumnName("message").HasMaxLength(1024);
            e.Property(x => x.PaymentMethod).HasColumnName("payment_method").HasMaxLength(63);
            e.Property(x => x.Gateway).HasColumnName("gateway").HasMaxLength(32);
            e.Property(x => x.GatewayResponseJson).HasColumnName("gateway_response_json");
            e.Property(x => x.Automatic).HasColumnName("automatic");
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
            e.Property(x => x.UpdatedAt).HasColumnName("updated_at");
        });

        modelBuilder.Entity<InvoiceCounterRow>(e =>
        {
            e.ToTable("invoice_counters");
            e.HasKey(x => x.Prefix);
            e.Property(x => x.Prefix).HasColumnName("prefix").HasMaxLength(7);
            e.Property(x => x.LastSequence).HasColumnName("last_sequence");
        });

        modelBuilder.Entity<InvoicePdfRow>(e =>
        {
            e.ToTable("invoice_pdfs");
            e.HasKey(x => new { x.TenantId, x.InvoiceId });
            e.Property(x => x.TenantId).HasColumnName("tenant_id").HasMaxLength(63);
            e.Property(x => x.InvoiceId).HasColumnName("invoice_id");
            e.Property(x => x.Content).HasColumnName("content");
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
        });

        modelBuilder.Entity<BillingRunRow>(e =>
        {
            e.ToTable("billing_runs");
            e.HasKey(x => x.Id);
            e.HasIndex(x => x.CreatedAt).HasDatabaseName("ix_billing_runs_created");
            e.Property(x => x.Id).HasColumnName("id").HasMaxLength(40);
            e.Property(x => x.State).HasColumnName("state").HasMaxLength(16);
            e.Property(x => x.Date).HasColumnName("date").HasMaxLength(10);
            e.Property(x => x.TenantsJson).HasColumnName("tenants_json");
            e.Property(x => x.DryRun).HasColumnName("dry_run");
            e.Property(x => x.TenantsTotal).HasColumnName("tenants_total");
            e.Property(x => x.TenantsDone).HasColumnName("tenants_done");
            e.Property(x => x.InvoicesIssued).HasColumnName("invoices_issued");
            e.Property(x => x.ChargesMade).HasColumnName("charges_made");
            e.Property(x => x.Error).HasColumnName("error");
            e.Property(x => x.RequestedBy).HasColumnName("requested_by").HasMaxLength(40);
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
            e.Property(x => x.StartedAt).HasColumnName("started_at");
            e.Property(x => x.FinishedAt).HasColumnName("finished_at");
            e.Property(x => x.UpdatedAt).HasColumnName("updated_at");
        });
    }
}

/// <summary>The model on SQLite; owns <c>Migrations/Sqlite</c>.</summary>
public sealed class SqliteTallyDbContext(DbContextOptions<SqliteTallyDbContext> options) : TallyDbContext(options)
{
    /// <summary>SQLite cannot compare or order DateTimeOffset text; store instants as sortable 64-bit integers.</summary>
    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        configurationBuilder.Properties<DateTimeOffset>().HaveConversion<DateTimeOffsetToBinaryConverter>();
    }
}

/// <summary>The model on PostgreSQL; owns <c>Migrations/Postgres</c>.</summary>
public sealed class PostgresTallyDbContext(DbContextOptions<PostgresTallyDbContext> options) : TallyDbContext(options)
{
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);
        foreach (var sequence in BillingIds.Sequences)
        {
            modelBuilder.HasSequence<long>(sequence);
        }
    }
}
