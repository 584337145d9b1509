using Mediator;
using WeChat.Application.Abstractions.WeChatApi;
using WeChat.Application.Common.Messaging;

namespace WeChat.Application.Followers;

/// <summary>What the user-info API returned for some followers of one account.</summary>
public sealed record ApplyFollowerProfiles(string AppId, IReadOnlyList<WeChatUserInfo> Profiles) : ICommand, ITransactionalCommand;

public sealed class ApplyFollowerProfilesHandler(FollowerDirectory directory, TimeProvider time) : ICommandHandler<ApplyFollowerProfiles>
{
    public async ValueTask<Unit> Handle(ApplyFollowerProfiles command, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        foreach (var profile in command.Profiles)
        {
            var (follower, _) = await directory.FollowerAsync(command.AppId, profile.OpenId, cancellationToken);
            follower.ApplyProfile(now, profile.Subscribed, profile.UnionId, profile.Language, profile.Remark, profile.SubscribeScene);
        }

        return Unit.Value;
    }
}
