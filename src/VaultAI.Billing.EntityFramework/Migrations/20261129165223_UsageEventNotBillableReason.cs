using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace VaultAI.Billing.EntityFramework.Migrations
{
    /// <inheritdoc />
    public partial class UsageEventNotBillableReason : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "not_billable_reason",
                schema: "billing",
                table: "usage_events",
                type: "character varying(200)",
                maxLength: 200,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "not_billable_reason",
                schema: "billing",
                table: "usage_events");
        }
    }
}
