using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Tally.Storage.Migrations.Postgres
{
    /// <summary>
    /// PostgreSQL only: the roll-up tables leave 30 % of each page free, so the ingest upserts (which change no indexed
    /// column) can be HOT updates that write no index entries. Affects pages written from now on.
    /// </summary>
    public partial class Rollup_fillfactor : Migration
    {
        private static readonly string[] Tables = ["usage_hourly", "usage_metric_hourly", "usage_daily"];

        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            foreach (var table in Tables)
            {
                migrationBuilder.Sql($"ALTER TABLE {table} SET (fillfactor = 70);");
            }
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            foreach (var table in Tables)
            {
                migrationBuilder.Sql($"ALTER TABLE {table} RESET (fillfactor);");
            }
        }
    }
}
