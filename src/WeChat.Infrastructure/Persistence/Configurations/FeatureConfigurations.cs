using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using WeChat.Application.Outbox;
using WeChat.Domain.Accounts;
using WeChat.Domain.Conversations;
using WeChat.Domain.Followers;
using WeChat.Domain.Replies;
using WeChat.Domain.Templates;

namespace WeChat.Infrastructure.Persistence.Configurations;

internal sealed class AccountRecordConfiguration : IEntityTypeConfiguration<AccountRecord>
{
    public void Configure(EntityTypeBuilder<AccountRecord> builder)
    {
        builder.ToTable("Accounts");
        builder.HasKey(a => a.AppId);
        builder.Property(a => a.AppId).HasMaxLength(Lengths.AppId);
    }
}

internal sealed class FollowerConfiguration : IEntityTypeConfiguration<Follower>
{
    public void Configure(EntityTypeBuilder<Follower> builder)
    {
        builder.ToTable("Followers");
        builder.HasKey(f => f.Id);
        builder.Property(f => f.AppId).HasMaxLength(Lengths.AppId).IsRequired();
        builder.Property(f => f.OpenId).HasMaxLength(Lengths.OpenId).IsRequired();
        builder.Property(f => f.QrScene).HasMaxLength(Follower.MaxSceneLength);
        builder.Property(f => f.LastInteractionKind).HasMaxLength(16);
        builder.Property(f => f.UnionId).HasMaxLength(Lengths.OpenId);
        builder.Property(f => f.Language).HasMaxLength(16);
        builder.Property(f => f.Remark).HasMaxLength(64);
        builder.Property(f => f.SubscribeSource).HasMaxLength(64);
        builder.Property(f => f.Nickname).HasMaxLength(128);
        builder.Property(f => f.HeadImageUrl).HasMaxLength(512);
        builder.HasIndex(f => new { f.AppId, f.OpenId }).IsUnique();
    }
}

internal sealed class ConversationSessionConfiguration : IEntityTypeConfiguration<ConversationSession>
{
    public void Configure(EntityTypeBuilder<ConversationSession> builder)
    {
        builder.ToTable("ConversationSessions");
        builder.HasKey(s => s.Id);
        builder.Property(s => s.AppId).HasMaxLength(Lengths.AppId).IsRequired();
        builder.Property(s => s.OpenId).HasMaxLength(Lengths.OpenId).IsRequired();
        builder.Property(s => s.State).HasMaxLength(32).IsRequired();
        builder.Property(s => s.KfAccount).HasMaxLength(Lengths.KfAccount);
        builder.Property(s => s.Data).HasMaxLength(ConversationSession.MaxDataLength);
        builder.Property(s => s.Version).IsConcurrencyToken();
        builder.HasIndex(s => new { s.AppId, s.OpenId }).IsUnique();
    }
}

internal sealed class ReplyRuleConfiguration : IEntityTypeConfiguration<ReplyRule>
{
    public void Configure(EntityTypeBuilder<ReplyRule> builder)
    {
        builder.ToTable("ReplyRules");
        builder.HasKey(r => r.Id);
        builder.Property(r => r.AppId).HasMaxLength(Lengths.AppId).IsRequired();
        builder.Property(r => r.Name).HasMaxLength(128).IsRequired();
        builder.Property(r => r.Pattern).HasMaxLength(ReplyRule.MaxPatternLength);
        builder.Property(r => r.Reply)
            .HasConversion(
                reply => OutboxJson.Serialize(reply),
                json => OutboxJson.Deserialize<ReplyContent>(json),
                new ValueComparer<ReplyContent>(
                    (left, right) => OutboxJson.Serialize(left) == OutboxJson.Serialize(right),
                    reply => OutboxJson.Serialize(reply).GetHashCode(StringComparison.Ordinal),
                    reply => OutboxJson.Deserialize<ReplyContent>(OutboxJson.Serialize(reply))))
            .IsRequired();
        builder.HasIndex(r => new { r.AppId, r.Trigger, r.Enabled });
    }
}

internal sealed class TemplateMessageConfiguration : IEntityTypeConfiguration<TemplateMessage>
{
    public void Configure(EntityTypeBuilder<TemplateMessage> builder)
    {
        builder.ToTable("TemplateMessages");
        builder.HasKey(m => m.Id);
        builder.Property(m => m.AppId).HasMaxLength(Lengths.AppId).IsRequired();
        builder.Property(m => m.ToUser).HasMaxLength(Lengths.OpenId).IsRequired();
        builder.Property(m => m.TemplateId).HasMaxLength(128).IsRequired();
        builder.Property(m => m.Url).HasMaxLength(1024);
        builder.Property(m => m.MiniProgramAppId).HasMaxLength(Lengths.AppId);
        builder.Property(m => m.MiniProgramPagePath).HasMaxLength(512);
        builder.Property(m => m.Data).IsRequired();
        builder.Property(m => m.ClientMsgId).HasMaxLength(64).IsRequired();
        builder.Property(m => m.Error).HasMaxLength(Lengths.ErrorText);
        builder.HasIndex(m => new { m.AppId, m.WeChatMsgId });
        builder.HasIndex(m => new { m.AppId, m.BatchId });
        builder.HasIndex(m => new { m.AppId, m.ToUser, m.Status });
    }
}
