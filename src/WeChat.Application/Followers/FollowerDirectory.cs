using Microsoft.EntityFrameworkCore;
using WeChat.Application.Abstractions;
using WeChat.Domain.Conversations;
using WeChat.Domain.Followers;

namespace WeChat.Application.Followers;

/// <summary>Loads (or starts) the follower and conversation records a handler changes, inside its unit of work.</summary>
public sealed class FollowerDirectory(IApplicationDbContext db, TimeProvider time)
{
    public async Task<(Follower Follower, bool IsNew)> FollowerAsync(string appId, string openId, CancellationToken cancellationToken)
    {
        var follower = db.Followers.Local.FirstOrDefault(f => f.AppId == appId && f.OpenId == openId)
            ?? await db.Followers.FirstOrDefaultAsync(f => f.AppId == appId && f.OpenId == openId, cancellationToken);
        if (follower is not null)
        {
            return (follower, false);
        }

        follower = new Follower { AppId = appId, OpenId = openId, CreatedAt = time.GetUtcNow() };
        db.Followers.Add(follower);
        return (follower, true);
    }

    public async Task<ConversationSession> SessionAsync(string appId, string openId, CancellationToken cancellationToken)
    {
        var session = db.ConversationSessions.Local.FirstOrDefault(s => s.AppId == appId && s.OpenId == openId)
            ?? await db.ConversationSessions.FirstOrDefaultAsync(s => s.AppId == appId && s.OpenId == openId, cancellationToken);
        if (session is null)
        {
            session = new ConversationSession { AppId = appId, OpenId = openId };
            db.ConversationSessions.Add(session);
        }

        return session;
    }
}
