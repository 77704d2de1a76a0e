using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Tally.Storage.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Invoicing : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "billed_through",
                table: "tenants",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "billing_runs",
                columns: table => new
                {
                    id = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    state = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    date = table.Column<string>(type: "TEXT", maxLength: 10, nullable: false),
                    tenants_json = table.Column<string>(type: "TEXT", nullable: false),
                    dry_run = table.Column<bool>(type: "INTEGER", nullable: false),
                    tenants_total = table.Column<int>(type: "INTEGER", nullable: false),
                    tenants_done = table.Column<int>(type: "INTEGER", nullable: false),
                    invoices_issued = table.Column<int>(type: "INTEGER", nullable: false),
                    charges_made = table.Column<int>(type: "INTEGER", nullable: false),
                    error = table.Column<string>(type: "TEXT", nullable: true),
                    requested_by = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    started_at = table.Column<long>(type: "INTEGER", nullable: true),
                    finished_at = table.Column<long>(type: "INTEGER", nullable: true),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_billing_runs", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "invoice_counters",
                columns: table => new
                {
                    prefix = table.Column<string>(type: "TEXT", maxLength: 7, nullable: false),
                    last_sequence = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_invoice_counters", x => x.prefix);
                });

            migrationBuilder.CreateTable(
                name: "invoice_line_items",
                columns: table => new
                {
                    tenant_id = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    id = table.Column<long>(type: "INTEGER", nullable: false),
                    invoice_id = table.Column<long>(type: "INTEGER", nullable: false),
                    source_key = table.Column<string>(type: "TEXT", maxLength: 512, nullable: false),
                    type = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 512, nullable: false),
                    description = table.Column<string>(type: "TEXT", maxLength: 1024, nullable: false),
                    quantity = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    amount_minor = table.Column<long>(type: "INTEGER", nullable: false),
                    period_start = table.Column<long>(type: "INTEGER", nullable: false),
                    period_end = table.Column<long>(type: "INTEGER", nullable: false),
                    metric = table.Column<string>(type: "TEXT", maxLength: 63, nullable: true),
                    plan = table.Column<string>(type: "TEXT", maxLength: 63, nullable: true),
                    contract_id = table.Column<string>(type: "TEXT", maxLength: 40, nullable: true),
                    contract_type = table.Column<string>(type: "TEXT", maxLength: 32, nullable: true),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_invoice_line_items", x => new { x.tenant_id, x.id });
                });

            migrationBuilder.CreateTable(
                name: "invoice_pdfs",
                columns: table => new
                {
                    tenant_id = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    invoice_id = table.Column<long>(type: "INTEGER", nullable: false),
                    content = table.Column<byte[]>(type: "BLOB", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_invoice_pdfs", x => new { x.tenant_id, x.invoice_id });
                });

            migrationBuilder.CreateTable(
                name: "invoices",
                columns: table => new
                {
                    tenant_id = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    id = table.Column<long>(type: "INTEGER", nullable: false),
                    friendly_id = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    creation_type = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    state = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    period = table.Column<string>(type: "TEXT", maxLength: 7, nullable: false),
                    period_start = table.Column<long>(type: "INTEGER", nullable: false),
                    period_end = table.Column<long>(type: "INTEGER", nullable: false),
                    currency = table.Column<string>(type: "TEXT", maxLength: 3, nullable: false),
                    vat_rate = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    vat_code = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    subtotal_minor = table.Column<long>(type: "INTEGER", nullable: false),
                    vat_minor = table.Column<long>(type: "INTEGER", nullable: false),
                    total_minor = table.Column<long>(type: "INTEGER", nullable: false),
                    locale = table.Column<string>(type: "TEXT", maxLength: 8, nullable: false),
                    from_address_json = table.Column<string>(type: "TEXT", nullable: true),
                    to_address_json = table.Column<string>(type: "TEXT", nullable: true),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false),
                    finalized_at = table.Column<long>(type: "INTEGER", nullable: true),
                    issued_at = table.Column<long>(type: "INTEGER", nullable: true),
                    due_at = table.Column<long>(type: "INTEGER", nullable: true),
                    paid_at = table.Column<long>(type: "INTEGER", nullable: true),
                    charge_attempts = table.Column<int>(type: "INTEGER", nullable: false),
                    last_charge_attempt_at = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_invoices", x => new { x.tenant_id, x.id });
                });

            migrationBuilder.CreateTable(
                name: "payment_transactions",
                columns: table => new
                {
                    tenant_id = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    id = table.Column<long>(type: "INTEGER", nullable: false),
                    invoice_id = table.Column<long>(type: "INTEGER", nullable: false),
                    idempotency_key = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    reference = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true),
                    success = table.Column<bool>(type: "INTEGER", nullable: false),
                    amount_minor = table.Column<long>(type: "INTEGER", nullable: false),
                    currency = table.Column<string>(type: "TEXT", maxLength: 3, nullable: false),
                    action = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    message = table.Column<string>(type: "TEXT", maxLength: 1024, nullable: false),
                    payment_method = table.Column<string>(type: "TEXT", maxLength: 63, nullable: true),
                    gateway = table.Column<string>(type: "TEXT", maxLength: 32, nullable: true),
                    gateway_response_json = table.Column<string>(type: "TEXT", nullable: false),
                    automatic = table.Column<bool>(type: "INTEGER", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_payment_transactions", x => new { x.tenant_id, x.id });
                });

            migrationBuilder.CreateIndex(
                name: "ix_billing_runs_created",
                table: "billing_runs",
                column: "created_at");

            migrationBuilder.CreateIndex(
                name: "ix_invoice_line_items_id",
                table: "invoice_line_items",
                column: "id",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_invoice_line_items_invoice",
                table: "invoice_line_items",
                columns: new[] { "tenant_id", "invoice_id" });

            migrationBuilder.CreateIndex(
                name: "ix_invoice_line_items_source_key",
                table: "invoice_line_items",
                columns: new[] { "tenant_id", "source_key" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_invoices_friendly_id",
                table: "invoices",
                column: "friendly_id",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_invoices_id",
                table: "invoices",
                column: "id",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_invoices_state_due",
                table: "invoices",
                columns: new[] { "state", "due_at" });

            migrationBuilder.CreateIndex(
                name: "ix_invoices_tenant_period",
                table: "invoices",
                columns: new[] { "tenant_id", "period", "creation_type", "state" });

            migrationBuilder.CreateIndex(
                name: "ix_payment_transactions_id",
                table: "payment_transactions",
                column: "id",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_payment_transactions_invoice",
                table: "payment_transactions",
                columns: new[] { "tenant_id", "invoice_id" });

            migrationBuilder.CreateIndex(
                name: "ix_payment_transactions_key",
                table: "payment_transactions",
                columns: new[] { "tenant_id", "idempotency_key" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "billing_runs");

            migrationBuilder.DropTable(
                name: "invoice_counters");

            migrationBuilder.DropTable(
                name: "invoice_line_items");

            migrationBuilder.DropTable(
                name: "invoice_pdfs");

            migrationBuilder.DropTable(
                name: "invoices");

            migrationBuilder.DropTable(
                name: "payment_transactions");

            migrationBuilder.DropColumn(
                name: "billed_through",
                table: "tenants");
        }
    }
}
