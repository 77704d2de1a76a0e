using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Tally.Storage.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Daily_rollups : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "usage_daily",
                columns: table => new
                {
                    tenant_id = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    day_start = table.Column<long>(type: "INTEGER", nullable: false),
                    @namespace = table.Column<string>(name: "namespace", type: "TEXT", maxLength: 63, nullable: false),
                    metric = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    sum_micros = table.Column<long>(type: "INTEGER", nullable: false),
                    max_micros = table.Column<long>(type: "INTEGER", nullable: false),
                    event_count = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_usage_daily", x => new { x.tenant_id, x.day_start, x.@namespace, x.metric });
                });

            // Backfill: existing usage becomes daily roll-ups in the same migration, so no usage is lost. A UTC day is the
            // 24 hours whose starts lie in [day_start, day_start + 86400); hour_start is never negative.
            migrationBuilder.Sql("""
                INSERT INTO usage_daily (tenant_id, day_start, namespace, metric, sum_micros, max_micros, event_count)
                SELECT tenant_id, (hour_start / 86400) * 86400, namespace, metric, SUM(sum_micros), MAX(max_micros), SUM(event_count)
                FROM usage_hourly
                GROUP BY tenant_id, (hour_start / 86400) * 86400, namespace, metric
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "usage_daily");
        }
    }
}
