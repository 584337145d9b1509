using Mediator;
using WeChat.Application.Common.Messaging;
using WeChat.Application.Followers;

namespace WeChat.Application.WebLogin;

/// <summary>A follower signed in on a web page: remember them (and their profile for snsapi_userinfo).</summary>
public sealed record CompleteWebLogin(string AppId, string OpenId, string? Nickname, string? HeadImageUrl, string? UnionId) : ICommand, ITransactionalCommand;

public sealed class CompleteWebLoginHandler(FollowerDirectory directory, TimeProvider time) : ICommandHandler<CompleteWebLogin>
{
    public async ValueTask<Unit> Handle(CompleteWebLogin command, CancellationToken cancellationToken)
    {
        var (follower, _) = await directory.FollowerAsync(command.AppId, command.OpenId, cancellationToken);
        follower.ApplyWebProfile(time.GetUtcNow(), command.Nickname, command.HeadImageUrl, command.UnionId);
        return Unit.Value;
    }
}
