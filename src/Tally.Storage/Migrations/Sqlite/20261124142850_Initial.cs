using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Tally.Storage.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "api_tokens",
                columns: table => new
                {
                    tenant_id = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    id = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    secret_hash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    role = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    permissions = table.Column<string>(type: "TEXT", nullable: false),
                    scopes = table.Column<string>(type: "TEXT", nullable: false),
                    namespaces = table.Column<string>(type: "TEXT", nullable: false),
                    expires_at = table.Column<long>(type: "INTEGER", nullable: true),
                    revoked_at = table.Column<long>(type: "INTEGER", nullable: true),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    created_by = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_api_tokens", x => new { x.tenant_id, x.id });
                });

            migrationBuilder.CreateTable(
                name: "namespaces",
                columns: table => new
                {
                    tenant_id = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_namespaces", x => new { x.tenant_id, x.name });
                });

            migrationBuilder.CreateTable(
                name: "quota_counts",
                columns: table => new
                {
                    tenant_id = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    @namespace = table.Column<string>(name: "namespace", type: "TEXT", maxLength: 63, nullable: false),
                    kind = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    key = table.Column<string>(type: "TEXT", maxLength: 512, nullable: false),
                    current_micros = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_quota_counts", x => new { x.tenant_id, x.@namespace, x.kind, x.key });
                });

            migrationBuilder.CreateTable(
                name: "quota_objects",
                columns: table => new
                {
                    tenant_id = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    @namespace = table.Column<string>(name: "namespace", type: "TEXT", maxLength: 63, nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    uid = table.Column<string>(type: "TEXT", maxLength: 36, nullable: false),
                    description = table.Column<string>(type: "TEXT", nullable: false),
                    disabled = table.Column<bool>(type: "INTEGER", nullable: false),
                    labels_json = table.Column<string>(type: "TEXT", nullable: false),
                    annotations_json = table.Column<string>(type: "TEXT", nullable: false),
                    spec_json = table.Column<string>(type: "TEXT", nullable: false),
                    creator_id = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    modified_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_quota_objects", x => new { x.tenant_id, x.@namespace, x.name });
                });

            migrationBuilder.CreateTable(
                name: "tenants",
                columns: table => new
                {
                    tenant_id = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    display_name = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false),
                    currency = table.Column<string>(type: "TEXT", maxLength: 3, nullable: false),
                    time_zone = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    locale = table.Column<string>(type: "TEXT", maxLength: 8, nullable: false),
                    billing_mode = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    vat_rate = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    vat_code = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    address_json = table.Column<string>(type: "TEXT", nullable: true),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_tenants", x => x.tenant_id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_api_tokens_secret_hash",
                table: "api_tokens",
                column: "secret_hash",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "api_tokens");

            migrationBuilder.DropTable(
                name: "namespaces");

            migrationBuilder.DropTable(
                name: "quota_counts");

            migrationBuilder.DropTable(
                name: "quota_objects");

            migrationBuilder.DropTable(
                name: "tenants");
        }
    }
}
