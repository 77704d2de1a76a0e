using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Tally.Storage.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class Catalog_and_usage : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "plan",
                table: "tenants",
                type: "character varying(63)",
                maxLength: 63,
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "plan_effective_at",
                table: "tenants",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "addons",
                columns: table => new
                {
                    name = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    definition_json = table.Column<string>(type: "text", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_addons", x => x.name);
                });

            migrationBuilder.CreateTable(
                name: "metrics",
                columns: table => new
                {
                    name = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    definition_json = table.Column<string>(type: "text", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_metrics", x => x.name);
                });

            migrationBuilder.CreateTable(
                name: "plans",
                columns: table => new
                {
                    name = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    definition_json = table.Column<string>(type: "text", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_plans", x => x.name);
                });

            migrationBuilder.CreateTable(
                name: "usage_events",
                columns: table => new
                {
                    tenant_id = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    event_id = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    @namespace = table.Column<string>(name: "namespace", type: "character varying(63)", maxLength: 63, nullable: false),
                    metric = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    object_name = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    quantity_micros = table.Column<long>(type: "bigint", nullable: false),
                    occurred_at_us = table.Column<long>(type: "bigint", nullable: false),
                    labels_json = table.Column<string>(type: "text", nullable: true),
                    received_at_us = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_usage_events", x => new { x.tenant_id, x.event_id });
                });

            migrationBuilder.CreateTable(
                name: "usage_hourly",
                columns: table => new
                {
                    tenant_id = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    @namespace = table.Column<string>(name: "namespace", type: "character varying(63)", maxLength: 63, nullable: false),
                    metric = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    object_name = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    hour_start = table.Column<long>(type: "bigint", nullable: false),
                    sum_micros = table.Column<long>(type: "bigint", nullable: false),
                    max_micros = table.Column<long>(type: "bigint", nullable: false),
                    event_count = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_usage_hourly", x => new { x.tenant_id, x.@namespace, x.metric, x.object_name, x.hour_start });
                });

            migrationBuilder.CreateIndex(
                name: "ix_usage_hourly_tenant_hour",
                table: "usage_hourly",
                columns: new[] { "tenant_id", "hour_start" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "addons");

            migrationBuilder.DropTable(
                name: "metrics");

            migrationBuilder.DropTable(
                name: "plans");

            migrationBuilder.DropTable(
                name: "usage_events");

            migrationBuilder.DropTable(
                name: "usage_hourly");

            migrationBuilder.DropColumn(
                name: "plan",
                table: "tenants");

            migrationBuilder.DropColumn(
                name: "plan_effective_at",
                table: "tenants");
        }
    }
}
