using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace WeChat.Infrastructure.Persistence.Migrations.Sqlite
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
                    AppId = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    RulesSeededAt = table.Column<long>(type: "INTEGER", nullable: true),
                    RulesVersion = table.Column<long>(type: "INTEGER", nullable: false),
                    TemplateScheduleCursor = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Accounts", x => x.AppId);
                });

            migrationBuilder.CreateTable(
                name: "ConversationSessions",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    AppId = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    OpenId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    State = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    KfAccount = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    Data = table.Column<string>(type: "TEXT", maxLength: 4000, nullable: true),
                    ExpiresAt = table.Column<long>(type: "INTEGER", nullable: true),
                    UpdatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    Version = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ConversationSessions", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "Credentials",
                columns: table => new
                {
                    AppId = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Kind = table.Column<int>(type: "INTEGER", nullable: false),
                    Value = table.Column<string>(type: "TEXT", maxLength: 1024, nullable: false),
                    ExpiresAt = table.Column<long>(type: "INTEGER", nullable: false),
                    Version = table.Column<long>(type: "INTEGER", nullable: false),
                    LeaseOwner = table.Column<string>(type: "TEXT", maxLength: 128, nullable: true),
                    LeaseUntil = table.Column<long>(type: "INTEGER", nullable: true),
                    RefreshedAt = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Credentials", x => new { x.AppId, x.Kind });
                });

            migrationBuilder.CreateTable(
                name: "Followers",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    AppId = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    OpenId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    IsSubscribed = table.Column<bool>(type: "INTEGER", nullable: true),
                    SubscribedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    UnsubscribedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    QrScene = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    LastInteractionAt = table.Column<long>(type: "INTEGER", nullable: true),
                    LastInteractionKind = table.Column<string>(type: "TEXT", maxLength: 16, nullable: true),
                    Latitude = table.Column<double>(type: "REAL", nullable: true),
                    Longitude = table.Column<double>(type: "REAL", nullable: true),
                    LocationPrecision = table.Column<double>(type: "REAL", nullable: true),
                    LocationReportedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    UnionId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    Language = table.Column<string>(type: "TEXT", maxLength: 16, nullable: true),
                    Remark = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    SubscribeSource = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    Nickname = table.Column<string>(type: "TEXT", maxLength: 128, nullable: true),
                    HeadImageUrl = table.Column<string>(type: "TEXT", maxLength: 512, nullable: true),
                    ProfileFetchedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    UpdatedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Followers", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "InboxEntries",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    AppId = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    DedupKey = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    MsgType = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Event = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    FromUserName = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    ReceivedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    ProcessedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_InboxEntries", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "OutboxMessages",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    AppId = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Kind = table.Column<int>(type: "INTEGER", nullable: false),
                    ToUser = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Payload = table.Column<string>(type: "TEXT", nullable: false),
                    KfAccount = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    Source = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    Status = table.Column<int>(type: "INTEGER", nullable: false),
                    Attempts = table.Column<int>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    NextAttemptAt = table.Column<long>(type: "INTEGER", nullable: false),
                    LeaseUntil = table.Column<long>(type: "INTEGER", nullable: true),
                    ClaimToken = table.Column<Guid>(type: "TEXT", nullable: true),
                    CompletedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    LastErrorCode = table.Column<int>(type: "INTEGER", nullable: true),
                    LastError = table.Column<string>(type: "TEXT", maxLength: 512, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_OutboxMessages", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "PendingInboundMessages",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    AppId = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    DedupKey = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Payload = table.Column<string>(type: "TEXT", nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    Attempts = table.Column<int>(type: "INTEGER", nullable: false),
                    LeaseUntil = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PendingInboundMessages", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "ReplyRules",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    AppId = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    Trigger = table.Column<int>(type: "INTEGER", nullable: false),
                    Match = table.Column<int>(type: "INTEGER", nullable: true),
                    Pattern = table.Column<string>(type: "TEXT", maxLength: 512, nullable: true),
                    Priority = table.Column<int>(type: "INTEGER", nullable: false),
                    Enabled = table.Column<bool>(type: "INTEGER", nullable: false),
                    Reply = table.Column<string>(type: "TEXT", nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    UpdatedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ReplyRules", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "TemplateMessages",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    AppId = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    BatchId = table.Column<Guid>(type: "TEXT", nullable: true),
                    ToUser = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    TemplateId = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    Url = table.Column<string>(type: "TEXT", maxLength: 1024, nullable: true),
                    MiniProgramAppId = table.Column<string>(type: "TEXT", maxLength: 32, nullable: true),
                    MiniProgramPagePath = table.Column<string>(type: "TEXT", maxLength: 512, nullable: true),
                    Data = table.Column<string>(type: "TEXT", nullable: false),
                    ClientMsgId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Status = table.Column<int>(type: "INTEGER", nullable: false),
                    WeChatMsgId = table.Column<long>(type: "INTEGER", nullable: true),
                    ErrorCode = table.Column<int>(type: "INTEGER", nullable: true),
                    Error = table.Column<string>(type: "TEXT", maxLength: 512, nullable: true),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    SentAt = table.Column<long>(type: "INTEGER", nullable: true),
                    FinishedAt = table.Column<long>(type: "INTEGER", nullable: true)
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
