using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Tally.Storage.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class Metric_hourly_rollups : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "usage_metric_hourly",
                columns: table => new
                {
                    tenant_id = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    hour_start = table.Column<long>(type: "bigint", nullable: false),
                    @namespace = table.Column<string>(name: "namespace", type: "character varying(63)", maxLength: 63, nullable: false),
                    metric = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    sum_micros = table.Column<long>(type: "bigint", nullable: false),
                    max_micros = table.Column<long>(type: "bigint", nullable: false),
                    event_count = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_usage_metric_hourly", x => new { x.tenant_id, x.hour_start, x.@namespace, x.metric });
                });

            // Backfill: existing usage becomes per-metric hourly roll-ups in the same migration, so no usage is lost from
            // the edge hours of the usage queries. A row holds its (tenant, hour, namespace, metric)'s per-object rows.
            migrationBuilder.Sql("""
                INSERT INTO usage_metric_hourly (tenant_id, hour_start, namespace, metric, sum_micros, max_micros, event_count)
                SELECT tenant_id, hour_start, namespace, metric, SUM(sum_micros), MAX(max_micros), SUM(event_count)
                FROM usage_hourly
                GROUP BY tenant_id, hour_start, namespace, metric
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "usage_metric_hourly");
        }
    }
}
