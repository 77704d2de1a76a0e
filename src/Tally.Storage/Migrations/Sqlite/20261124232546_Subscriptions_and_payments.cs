using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Tally.Storage.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Subscriptions_and_payments : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "addon_subscriptions",
                columns: table => new
                {
                    tenant_id = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    id = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    addon = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    starts_at = table.Column<long>(type: "INTEGER", nullable: false),
                    ends_at = table.Column<long>(type: "INTEGER", nullable: true),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_addon_subscriptions", x => new { x.tenant_id, x.id });
                });

            migrationBuilder.CreateTable(
                name: "payment_methods",
                columns: table => new
                {
                    tenant_id = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    role = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    brand = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    last4 = table.Column<string>(type: "TEXT", maxLength: 4, nullable: false),
                    exp_month = table.Column<int>(type: "INTEGER", nullable: false),
                    exp_year = table.Column<int>(type: "INTEGER", nullable: false),
                    contact_json = table.Column<string>(type: "TEXT", nullable: true),
                    gateway = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    gateway_reference = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_payment_methods", x => new { x.tenant_id, x.name });
                });

            migrationBuilder.CreateTable(
                name: "plan_subscriptions",
                columns: table => new
                {
                    tenant_id = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    id = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    plan = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    starts_at = table.Column<long>(type: "INTEGER", nullable: false),
                    ends_at = table.Column<long>(type: "INTEGER", nullable: true),
                    trial_ends_at = table.Column<long>(type: "INTEGER", nullable: true),
                    cancelled_at = table.Column<long>(type: "INTEGER", nullable: true),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_plan_subscriptions", x => new { x.tenant_id, x.id });
                });

            migrationBuilder.CreateTable(
                name: "plan_transitions",
                columns: table => new
                {
                    tenant_id = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    id = table.Column<string>(type: "TEXT", maxLength: 36, nullable: false),
                    from_plan = table.Column<string>(type: "TEXT", maxLength: 63, nullable: true),
                    new_plan = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    state = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    reason = table.Column<string>(type: "TEXT", maxLength: 1024, nullable: true),
                    requires_manual_approval = table.Column<bool>(type: "INTEGER", nullable: false),
                    payload_json = table.Column<string>(type: "TEXT", nullable: false),
                    payment_method = table.Column<string>(type: "TEXT", maxLength: 63, nullable: true),
                    requested_by = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    decided_by = table.Column<string>(type: "TEXT", maxLength: 40, nullable: true),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_plan_transitions", x => new { x.tenant_id, x.id });
                });

            // Each tenant's assigned plan becomes its first plan subscription, from when the plan took effect.
            migrationBuilder.Sql("""
                INSERT INTO plan_subscriptions (tenant_id, id, plan, starts_at, ends_at, trial_ends_at, cancelled_at, created_at)
                SELECT tenant_id, 'sub-' || lower(hex(randomblob(16))), plan, COALESCE(plan_effective_at, created_at), NULL, NULL, NULL, COALESCE(plan_effective_at, created_at)
                FROM tenants WHERE plan IS NOT NULL;
                """);

            migrationBuilder.DropColumn(
                name: "plan",
                table: "tenants");

            migrationBuilder.DropColumn(
                name: "plan_effective_at",
                table: "tenants");

            migrationBuilder.CreateIndex(
                name: "ix_addon_subscriptions_open",
                table: "addon_subscriptions",
                columns: new[] { "tenant_id", "addon" },
                unique: true,
                filter: "ends_at IS NULL");

            migrationBuilder.CreateIndex(
                name: "ix_payment_methods_one_primary",
                table: "payment_methods",
                columns: new[] { "tenant_id", "role" },
                unique: true,
                filter: "role = 'primary'");

            migrationBuilder.CreateIndex(
                name: "ix_payment_methods_one_secondary",
                table: "payment_methods",
                columns: new[] { "tenant_id", "role" },
                unique: true,
                filter: "role = 'secondary'");

            migrationBuilder.CreateIndex(
                name: "ix_plan_subscriptions_plan",
                table: "plan_subscriptions",
                column: "plan");

            migrationBuilder.CreateIndex(
                name: "ix_plan_subscriptions_tenant_start",
                table: "plan_subscriptions",
                columns: new[] { "tenant_id", "starts_at" });

            migrationBuilder.CreateIndex(
                name: "ix_plan_transitions_id",
                table: "plan_transitions",
                column: "id",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_plan_transitions_state",
                table: "plan_transitions",
                columns: new[] { "state", "created_at" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "addon_subscriptions");

            migrationBuilder.DropTable(
                name: "payment_methods");

            migrationBuilder.DropTable(
                name: "plan_subscriptions");

            migrationBuilder.DropTable(
                name: "plan_transitions");

            migrationBuilder.AddColumn<string>(
                name: "plan",
                table: "tenants",
                type: "TEXT",
                maxLength: 63,
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "plan_effective_at",
                table: "tenants",
                type: "INTEGER",
                nullable: true);
        }
    }
}
