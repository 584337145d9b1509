using WeChat.Application.Abstractions.WeChatApi;
using WeChat.Infrastructure.WeChatApi;
using WeChat.IntegrationTests.Infrastructure;
using WeChat.Simulator;

namespace WeChat.IntegrationTests.WeChatApi;

public sealed class OAuthAndJsSdkClientTests : IAsyncLifetime
{
    private readonly SimulatedAccountOptions _account = TestAccounts.Create("oau");
    private readonly TempDatabase _database = new();
    private RunningSimulator _simulator = null!;
    private WeChatClientHost _client = null!;

    public async Task InitializeAsync()
    {
        _simulator = await SimulatorHost.StartAsync(new SimulatorOptions { Accounts = [_account] });
        _client = await WeChatClientHost.StartAsync(_simulator.BaseAddress, _database.Path, [_account]);
    }

    public async Task DisposeAsync()
    {
        await _client.DisposeAsync();
        await _simulator.DisposeAsync();
        _database.Dispose();
    }

    [Theory]
    [InlineData("http://mp.weixin.qq.com?params=value", "0f9de62fce790f9a083d5c99e95740ceb90c27ed")]
    [InlineData("http://mp.weixin.qq.com", "f4d90daf4b3bca3078ab155816175ba34c443a7b")]
    [InlineData("http://mp.weixin.qq.com?params=value#section", "0f9de62fce790f9a083d5c99e95740ceb90c27ed")]
    public void Js_sdk_signature_matches_vector_V7(string url, string expected)
    {
        const string ticket = "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg";

        Assert.Equal(expected, JsSdkSigner.Sign(ticket, "Wm3WZYTPz0wzccnW", 1414587457, url));
    }

    [Fact]
    public async Task Js_sdk_config_is_signed_with_a_ticket_fetched_once()
    {
        var signer = _client.Get<IJsSdkSigner>();

        var first = await signer.SignAsync(_account.AppId, "https://example.com/page?x=1#top", CancellationToken.None);
        var second = await signer.SignAsync(_account.AppId, "https://example.com/other", CancellationToken.None);

        Assert.True(first.Succeeded, first.ToString());
        Assert.Equal(_account.AppId, first.Value!.AppId);
        Assert.Equal(40, first.Value.Signature.Length);
        Assert.True(second.Succeeded);
        Assert.Equal(1, _simulator.Platform.TicketsIssued(_account.AppId));
    }

    [Fact]
    public async Task OAuth_code_is_exchanged_once_and_the_profile_fetched()
    {
        var oauth = _client.Get<IWeChatOAuthApi>();
        var code = _simulator.Platform.IssueOAuthCode(_account.AppId, "oWebUser000000000000000001", "snsapi_userinfo");

        var token = await oauth.ExchangeCodeAsync(_account.AppId, code, CancellationToken.None);
        var reused = await oauth.ExchangeCodeAsync(_account.AppId, code, CancellationToken.None);
        var profile = await oauth.GetUserInfoAsync(_account.AppId, token.Value!.AccessToken, token.Value.OpenId, CancellationToken.None);
        var refreshed = await oauth.RefreshAsync(_account.AppId, token.Value.RefreshToken, CancellationToken.None);

        Assert.Equal(("oWebUser000000000000000001", "snsapi_userinfo"), (token.Value.OpenId, token.Value.Scope));
        Assert.Equal((WeChatFailure.OAuthCodeInvalid, 40163), (reused.Failure, reused.ErrorCode));
        Assert.Equal("模拟用户", profile.Value!.Nickname);
        Assert.True(refreshed.Succeeded);
    }

    [Fact]
    public async Task Unknown_code_and_base_scope_profile_are_refused()
    {
        var oauth = _client.Get<IWeChatOAuthApi>();
        var bogus = await oauth.ExchangeCodeAsync(_account.AppId, "no-such-code", CancellationToken.None);
        var baseToken = await oauth.ExchangeCodeAsync(_account.AppId, _simulator.Platform.IssueOAuthCode(_account.AppId, "oBaseUser", "snsapi_base"), CancellationToken.None);

        var profile = await oauth.GetUserInfoAsync(_account.AppId, baseToken.Value!.AccessToken, "oBaseUser", CancellationToken.None);

        Assert.Equal((WeChatFailure.OAuthCodeInvalid, 40029), (bogus.Failure, bogus.ErrorCode));
        Assert.Equal(WeChatFailure.Unauthorized, profile.Failure);
    }
}
