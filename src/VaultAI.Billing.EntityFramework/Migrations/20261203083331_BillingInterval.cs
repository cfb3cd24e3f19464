using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace VaultAI.Billing.EntityFramework.Migrations
{
    /// <inheritdoc />
    public partial class BillingInterval : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "billing_interval",
                schema: "billing",
                table: "organizations",
                type: "character varying(16)",
                maxLength: 16,
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "licensed_quantity",
                schema: "billing",
                table: "organizations",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "overage_amount",
                schema: "billing",
                table: "invoices",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "billing_interval",
                schema: "billing",
                table: "organizations");

            migrationBuilder.DropColumn(
                name: "licensed_quantity",
                schema: "billing",
                table: "organizations");

            migrationBuilder.DropColumn(
                name: "overage_amount",
                schema: "billing",
                table: "invoices");
        }
    }
}
