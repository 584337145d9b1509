using Microsoft.EntityFrameworkCore;
using WeChat.Application.Abstractions;
using WeChat.Domain.Conversations;
using WeChat.Domain.Followers;

namespace WeChat.Application.Followers;

/// <summary>Loads (or starts) the follower and conversation records a handler changes, inside its unit of work.</summary>
public sealed class FollowerDirectory(IApplicationDbContext db, TimeProvider time)
{
    // Compiled once: these run for every message, and building and matching the expression tree
    // each time costs more than the query.
    private static readonly Func<DbContext, string, string, Task<Follower?>> FindFollower = EF.CompileAsyncQuery(
        (DbContext context, string appId, string openId) => context.Set<Follower>().FirstOrDefault(f => f.AppId == appId && f.OpenId == openId));

    private static readonly Func<DbContext, string, string, Task<ConversationSession?>> FindSession = EF.CompileAsyncQuery(
        (DbContext context, string appId, string openId) => context.Set<ConversationSession>().FirstOrDefault(s => s.AppId == appId && s.OpenId == openId));

    public async Task<(Follower Follower, bool IsNew)> FollowerAsync(string appId, string openId, CancellationToken cancellationToken)
    {
        var follower = db.Followers.Local.FirstOrDefault(f => f.AppId == appId && f.OpenId == openId)
            ?? await FindFollower((DbContext)db, appId, openId);
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
            ?? await FindSession((DbContext)db, appId, openId);
        if (session is null)
        {
            session = new ConversationSession { AppId = appId, OpenId = openId };
            db.ConversationSessions.Add(session);
        }

        return session;
    }
}
