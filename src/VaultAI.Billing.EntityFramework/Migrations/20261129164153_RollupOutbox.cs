using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace VaultAI.Billing.EntityFramework.Migrations
{
    /// <inheritdoc />
    public partial class RollupOutbox : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AlterColumn<Guid>(
                name: "usage_report_id",
                schema: "billing",
                table: "meter_event_outbox",
                type: "uuid",
                nullable: true,
                oldClrType: typeof(Guid),
                oldType: "uuid");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AlterColumn<Guid>(
                name: "usage_report_id",
                schema: "billing",
                table: "meter_event_outbox",
                type: "uuid",
                nullable: false,
                defaultValue: new Guid("00000000-0000-0000-0000-000000000000"),
                oldClrType: typeof(Guid),
                oldType: "uuid",
                oldNullable: true);
        }
    }
}
