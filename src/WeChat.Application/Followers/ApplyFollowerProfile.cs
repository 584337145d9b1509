using Mediator;
using WeChat.Application.Abstractions.WeChatApi;
using WeChat.Application.Common.Messaging;

namespace WeChat.Application.Followers;

/// <summary>What the user-info API returned for a follower.</summary>
public sealed record ApplyFollowerProfile(string AppId, WeChatUserInfo Profile) : ICommand, ITransactionalCommand;

public sealed class ApplyFollowerProfileHandler(FollowerDirectory directory, TimeProvider time) : ICommandHandler<ApplyFollowerProfile>
{
    public async ValueTask<Unit> Handle(ApplyFollowerProfile command, CancellationToken cancellationToken)
    {
        var profile = command.Profile;
        var (follower, _) = await directory.FollowerAsync(command.AppId, profile.OpenId, cancellationToken);
        follower.ApplyProfile(time.GetUtcNow(), profile.Subscribed, profile.UnionId, profile.Language, profile.Remark, profile.SubscribeScene);
        return Unit.Value;
    }
}
