using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace WeChat.Infrastructure.Persistence.Migrations.SqlServer
{
    /// <inheritdoc />
    public partial class InitialCreate : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "Accounts",
                columns: table => new
                {
                    AppId = table.Column<string>(type: "nvarchar(32)", maxLength: 32, nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "datetimeoffset", nullable: false),
                    RulesSeededAt = table.Column<DateTimeOffset>(type: "datetimeoffset", nullable: true),
                    RulesVersion = table.Column<long>(type: "bigint", nullable: false),
                    TemplateScheduleCursor = table.Column<DateTimeOffset>(type: "datetimeoffset", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Accounts", x => x.AppId);
                });

            migrationBuilder.CreateTable(
                name: "ConversationSessions",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("SqlServer:Identity", "1, 1"),
                    AppId = table.Column<string>(type: "nvarchar(32)", maxLength: 32, nullable: false),
                    OpenId = table.Column<string>(type: "nvarchar(64)", maxLength: 64, nullable: false),
                    State = table.Column<string>(type: "nvarchar(32)", maxLength: 32, nullable: false),
                    KfAccount = table.Column<string>(type: "nvarchar(64)", maxLength: 64, nullable: true),
                    Data = table.Column<string>(type: "nvarchar(4000)", maxLength: 4000, nullable: true),
                    ExpiresAt = table.Column<DateTimeOffset>(type: "datetimeoffset", nullable: true),
                    UpdatedAt = table.Column<DateTimeOffset>(type: "datetimeoffset", nullable: false),
                    Version = table.Column<int>(type: "int", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ConversationSessions", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "Credentials",
                columns: table => new
                {
                    AppId = table.Column<string>(type: "nvarchar(32)", maxLength: 32, nullable: false),
                    Kind = table.Column<int>(type: "int", nullable: false),
                    Value = table.Column<string>(type: "nvarchar(1024)", maxLength: 1024, nullable: false),
                    ExpiresAt = table.Column<DateTimeOffset>(type: "datetimeoffset", nullable: false),
                    Version = table.Column<long>(type: "bigint", nullable: false),
                    LeaseOwner = table.Column<string>(type: "nvarchar(128)", maxLength: 128, nullable: true),
                    LeaseUntil = table.Column<DateTimeOffset>(type: "datetimeoffset", nullable: true),
                    RefreshedAt = table.Column<DateTimeOffset>(type: "datetimeoffset", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Credentials", x => new { x.AppId, x.Kind });
                });

            migrationBuilder.CreateTable(
                name: "Followers",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("SqlServer:Identity", "1, 1"),
                    AppId = table.Column<string>(type: "nvarchar(32)", maxLength: 32, nullable: false),
                    OpenId = table.Column<string>(type: "nvarchar(64)", maxLength: 64, nullable: false),
                    IsSubscribed = table.Column<bool>(type: "bit", nullable: true),
                    SubscribedAt = table.Column<DateTimeOffset>(type: "datetimeoffset", nullable: true),
                    UnsubscribedAt = table.Column<DateTimeOffset>(type: "datetimeoffset", nullable: true),
                    QrScene = table.Column<string>(type: "nvarchar(64)", maxLength: 64, nullable: true),
                    LastInteractionAt = table.Column<DateTimeOffset>(type: "datetimeoffset", nullable: true),
                    LastInteractionKind = table.Column<string>(type: "nvarchar(16)", maxLength: 16, nullable: true),
                    Latitude = table.Column<double>(type: "float", nullable: true),
                    Longitude = table.Column<double>(type: "float", nullable: true),
                    LocationPrecision = table.Column<double>(type: "float", nullable: true),
                    LocationReportedAt = table.Column<DateTimeOffset>(type: "datetimeoffset", nullable: true),
                    UnionId = table.Column<string>(type: "nvarchar(64)", maxLength: 64, nullable: true),
                    Language = table.Column<string>(type: "nvarchar(16)", maxLength: 16, nullable: true),
                    Remark = table.Column<string>(type: "nvarchar(64)", maxLength: 64, nullable: true),
                    SubscribeSource = table.Column<string>(type: "nvarchar(64)", maxLength: 64, nullable: true),
                    Nickname = table.Column<string>(type: "nvarchar(128)", maxLength: 128, nullable: true),
                    HeadImageUrl = table.Column<string>(type: "nvarchar(512)", maxLength: 512, nullable: true),
                    ProfileFetchedAt = table.Column<DateTimeOffset>(type: "datetimeoffset", nullable: true),
                    CreatedAt = table.Column<DateTimeOffset>(type: "datetimeoffset", nullable: false),
                    UpdatedAt = table.Column<DateTimeOffset>(type: "datetimeoffset", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Followers", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "InboxEntries",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("SqlServer:Identity", "1, 1"),
                    AppId = table.Column<string>(type: "nvarchar(32)", maxLength: 32, nullable: false),
                    DedupKey = table.Column<string>(type: "nvarchar(200)", maxLength: 200, nullable: false),
                    MsgType = table.Column<string>(type: "nvarchar(64)", maxLength: 64, nullable: false),
                    Event = table.Column<string>(type: "nvarchar(64)", maxLength: 64, nullable: true),
                    FromUserName = table.Column<string>(type: "nvarchar(64)", maxLength: 64, nullable: false),
                    ReceivedAt = table.Column<DateTimeOffset>(type: "datetimeoffset", nullable: false),
                    ProcessedAt = table.Column<DateTimeOffset>(type: "datetimeoffset", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_InboxEntries", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "OutboxMessages",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uniqueidentifier", nullable: false),
                    AppId = table.Column<string>(type: "nvarchar(32)", maxLength: 32, nullable: false),
                    Kind = table.Column<int>(type: "int", nullable: false),
                    ToUser = table.Column<string>(type: "nvarchar(64)", maxLength: 64, nullable: false),
                    Payload = table.Column<string>(type: "nvarchar(max)", nullable: false),
                    KfAccount = table.Column<string>(type: "nvarchar(64)", maxLength: 64, nullable: true),
                    Source = table.Column<string>(type: "nvarchar(200)", maxLength: 200, nullable: true),
                    Status = table.Column<int>(type: "int", nullable: false),
                    Attempts = table.Column<int>(type: "int", nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "datetimeoffset", nullable: false),
                    NextAttemptAt = table.Column<DateTimeOffset>(type: "datetimeoffset", nullable: false),
                    LeaseUntil = table.Column<DateTimeOffset>(type: "datetimeoffset", nullable: true),
                    ClaimToken = table.Column<Guid>(type: "uniqueidentifier", nullable: true),
                    CompletedAt = table.Column<DateTimeOffset>(type: "datetimeoffset", nullable: true),
                    LastErrorCode = table.Column<int>(type: "int", nullable: true),
                    LastError = table.Column<string>(type: "nvarchar(512)", maxLength: 512, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_OutboxMessages", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "PendingInboundMessages",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uniqueidentifier", nullable: false),
                    AppId = table.Column<string>(type: "nvarchar(32)", maxLength: 32, nullable: false),
                    DedupKey = table.Column<string>(type: "nvarchar(200)", maxLength: 200, nullable: false),
                    Payload = table.Column<string>(type: "nvarchar(max)", nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "datetimeoffset", nullable: false),
                    Attempts = table.Column<int>(type: "int", nullable: false),
                    LeaseUntil = table.Column<DateTimeOffset>(type: "datetimeoffset", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PendingInboundMessages", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "ReplyRules",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("SqlServer:Identity", "1, 1"),
                    AppId = table.Column<string>(type: "nvarchar(32)", maxLength: 32, nullable: false),
                    Name = table.Column<string>(type: "nvarchar(128)", maxLength: 128, nullable: false),
                    Trigger = table.Column<int>(type: "int", nullable: false),
                    Match = table.Column<int>(type: "int", nullable: true),
                    Pattern = table.Column<string>(type: "nvarchar(512)", maxLength: 512, nullable: true),
                    Priority = table.Column<int>(type: "int", nullable: false),
                    Enabled = table.Column<bool>(type: "bit", nullable: false),
                    Reply = table.Column<string>(type: "nvarchar(max)", nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "datetimeoffset", nullable: false),
                    UpdatedAt = table.Column<DateTimeOffset>(type: "datetimeoffset", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ReplyRules", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "TemplateMessages",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uniqueidentifier", nullable: false),
                    AppId = table.Column<string>(type: "nvarchar(32)", maxLength: 32, nullable: false),
                    BatchId = table.Column<Guid>(type: "uniqueidentifier", nullable: true),
                    ToUser = table.Column<string>(type: "nvarchar(64)", maxLength: 64, nullable: false),
                    TemplateId = table.Column<string>(type: "nvarchar(128)", maxLength: 128, nullable: false),
                    Url = table.Column<string>(type: "nvarchar(1024)", maxLength: 1024, nullable: true),
                    MiniProgramAppId = table.Column<string>(type: "nvarchar(32)", maxLength: 32, nullable: true),
                    MiniProgramPagePath = table.Column<string>(type: "nvarchar(512)", maxLength: 512, nullable: true),
                    Data = table.Column<string>(type: "nvarchar(max)", nullable: false),
                    ClientMsgId = table.Column<string>(type: "nvarchar(64)", maxLength: 64, nullable: false),
                    Status = table.Column<int>(type: "int", nullable: false),
                    WeChatMsgId = table.Column<long>(type: "bigint", nullable: true),
                    ErrorCode = table.Column<int>(type: "int", nullable: true),
                    Error = table.Column<string>(type: "nvarchar(512)", maxLength: 512, nullable: true),
                    CreatedAt = table.Column<DateTimeOffset>(type: "datetimeoffset", nullable: false),
                    SentAt = table.Column<DateTimeOffset>(type: "datetimeoffset", nullable: true),
                    FinishedAt = table.Column<DateTimeOffset>(type: "datetimeoffset", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_TemplateMessages", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_ConversationSessions_AppId_OpenId",
                table: "ConversationSessions",
                columns: new[] { "AppId", "OpenId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Followers_AppId_OpenId",
                table: "Followers",
                columns: new[] { "AppId", "OpenId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_InboxEntries_AppId_DedupKey",
                table: "InboxEntries",
                columns: new[] { "AppId", "DedupKey" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_InboxEntries_ProcessedAt",
                table: "InboxEntries",
                column: "ProcessedAt");

            migrationBuilder.CreateIndex(
                name: "IX_OutboxMessages_AppId_ToUser",
                table: "OutboxMessages",
                columns: new[] { "AppId", "ToUser" });

            migrationBuilder.CreateIndex(
                name: "IX_OutboxMessages_Status_NextAttemptAt",
                table: "OutboxMessages",
                columns: new[] { "Status", "NextAttemptAt" });

            migrationBuilder.CreateIndex(
                name: "IX_PendingInboundMessages_CreatedAt",
                table: "PendingInboundMessages",
                column: "CreatedAt");

            migrationBuilder.CreateIndex(
                name: "IX_ReplyRules_AppId_Trigger_Enabled",
                table: "ReplyRules",
                columns: new[] { "AppId", "Trigger", "Enabled" });

            migrationBuilder.CreateIndex(
                name: "IX_TemplateMessages_AppId_BatchId",
                table: "TemplateMessages",
                columns: new[] { "AppId", "BatchId" });

            migrationBuilder.CreateIndex(
                name: "IX_TemplateMessages_AppId_ToUser_Status",
                table: "TemplateMessages",
                columns: new[] { "AppId", "ToUser", "Status" });

            migrationBuilder.CreateIndex(
                name: "IX_TemplateMessages_AppId_WeChatMsgId",
                table: "TemplateMessages",
                columns: new[] { "AppId", "WeChatMsgId" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "Accounts");

            migrationBuilder.DropTable(
                name: "ConversationSessions");

            migrationBuilder.DropTable(
                name: "Credentials");

            migrationBuilder.DropTable(
                name: "Followers");

            migrationBuilder.DropTable(
                name: "InboxEntries");

            migrationBuilder.DropTable(
                name: "OutboxMessages");

            migrationBuilder.DropTable(
                name: "PendingInboundMessages");

            migrationBuilder.DropTable(
                name: "ReplyRules");

            migrationBuilder.DropTable(
                name: "TemplateMessages");
        }
    }
}
