using System.Text.Json.Nodes;
using WeChat.Application.Abstractions.WeChatApi;
using WeChat.Domain.Replies;
using WeChat.IntegrationTests.Infrastructure;
using WeChat.Simulator;
using WeChat.Simulator.Callbacks;
using WeChat.Simulator.Platform;

namespace WeChat.IntegrationTests.WeChatApi;

/// <summary>How the client turns WeChat's answers into outcomes, against the simulator over loopback HTTP.</summary>
public sealed class ClientOutcomeTests : IAsyncLifetime
{
    private const string CustomSend = "/cgi-bin/message/custom/send";
    private readonly SimulatedAccountOptions _account = TestAccounts.Create("out");
    private readonly TempDatabase _database = new();
    private RunningSimulator _simulator = null!;
    private WeChatClientHost _client = null!;

    public async Task InitializeAsync()
    {
        _simulator = await SimulatorHost.StartAsync(new SimulatorOptions { Accounts = [_account] });
        _client = await WeChatClientHost.StartAsync(_simulator.BaseAddress, _database.Path, [_account],
            extraSettings: new Dictionary<string, string?> { ["WeChat:ApiAttemptTimeoutSeconds"] = "1" });
    }

    public async Task DisposeAsync()
    {
        await _client.DisposeAsync();
        await _simulator.DisposeAsync();
        _database.Dispose();
    }

    private IWeChatMessagingApi Messaging => _client.Get<IWeChatMessagingApi>();

    [Theory]
    [InlineData(45015, WeChatFailure.OutsideServiceWindow)]
    [InlineData(45047, WeChatFailure.ServiceQuotaExhausted)]
    [InlineData(43004, WeChatFailure.NotFollowing)]
    [InlineData(40003, WeChatFailure.InvalidOpenId)]
    [InlineData(48001, WeChatFailure.Unauthorized)]
    [InlineData(40164, WeChatFailure.IpNotAllowed)]
    [InlineData(45009, WeChatFailure.DailyQuotaExceeded)]
    [InlineData(40033, WeChatFailure.InvalidCharset)]
    public async Task Non_retryable_error_codes_surface_as_typed_outcomes_without_retry(int errorCode, WeChatFailure expected)
    {
        var follower = await FollowerWhoJustWroteAsync();
        _simulator.Platform.Faults.Add(new FaultRule { PathContains = CustomSend, ErrorCode = errorCode, ErrorBurst = 5 });

        var result = await Messaging.SendCustomerServiceMessageAsync(_account.AppId, follower, new TextReply("hi"), null, CancellationToken.None);

        Assert.Equal(expected, result.Failure);
        Assert.Equal(errorCode, result.ErrorCode);
        Assert.NotNull(result.Rid);
        Assert.Equal(1, _simulator.Platform.Calls.Count(call => call.Path == CustomSend));
    }

    [Fact]
    public async Task Real_window_and_quota_errors_come_from_the_platform_rules()
    {
        var stranger = "oStranger" + Guid.NewGuid().ToString("N")[..10];
        var outside = await Messaging.SendCustomerServiceMessageAsync(_account.AppId, stranger, new TextReply("hi"), null, CancellationToken.None);
        Assert.Equal(WeChatFailure.OutsideServiceWindow, outside.Failure);

        var follower = await FollowerWhoJustWroteAsync();
        for (var i = 0; i < 5; i++)
        {
            Assert.True((await Messaging.SendCustomerServiceMessageAsync(_account.AppId, follower, new TextReply($"reply {i}"), null, CancellationToken.None)).Succeeded);
        }

        var sixth = await Messaging.SendCustomerServiceMessageAsync(_account.AppId, follower, new TextReply("one too many"), null, CancellationToken.None);
        Assert.Equal(WeChatFailure.ServiceQuotaExhausted, sixth.Failure);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task System_busy_and_server_errors_are_retried_and_then_succeed(bool serverErrors)
    {
        var follower = await FollowerWhoJustWroteAsync();
        _simulator.Platform.Faults.Add(serverErrors
            ? new FaultRule { PathContains = CustomSend, ServerErrors = 2 }
            : new FaultRule { PathContains = CustomSend, ErrorBurst = 2 });

        var result = await Messaging.SendCustomerServiceMessageAsync(_account.AppId, follower, new TextReply("after the storm"), null, CancellationToken.None);

        Assert.True(result.Succeeded, result.ToString());
        Assert.Equal(3, _simulator.Platform.Calls.Count(call => call.Path == CustomSend));
        Assert.Equal(1, _simulator.Platform.Calls.Count(call => call.Path == CustomSend && call.Delivered));
    }

    [Theory]
    [InlineData(500, false)]
    [InlineData(502, true)]
    [InlineData(504, true)]
    public async Task A_customer_service_send_answered_with_a_server_error_that_may_follow_delivery_is_ambiguous_and_not_retried(int status, bool afterProcessing)
    {
        var follower = await FollowerWhoJustWroteAsync();
        _simulator.Platform.Faults.Add(new FaultRule { PathContains = CustomSend, ServerErrors = 3, ServerErrorStatus = status, ServerErrorsAfterProcessing = afterProcessing });

        var result = await Messaging.SendCustomerServiceMessageAsync(_account.AppId, follower, new TextReply("once only"), null, CancellationToken.None);

        Assert.Equal((WeChatFailure.Ambiguous, status), (result.Failure, result.ErrorCode));
        var call = Assert.Single(_simulator.Platform.Calls.Snapshot(c => c.Path == CustomSend));
        Assert.Equal((status, afterProcessing), (call.HttpStatus, call.Delivered));
    }

    [Fact]
    public async Task An_idempotent_call_answered_with_a_gateway_timeout_is_retried()
    {
        var follower = await FollowerWhoJustWroteAsync();
        _simulator.Platform.Faults.Add(new FaultRule { PathContains = "user/info", ServerErrors = 2, ServerErrorStatus = 504, ServerErrorsAfterProcessing = true });

        var user = await _client.Get<IWeChatManagementApi>().GetUserInfoAsync(_account.AppId, follower, CancellationToken.None);

        Assert.True(user.Succeeded, user.ToString());
        Assert.Equal([504, 504, 200], _simulator.Platform.Calls.Snapshot(c => c.Path.EndsWith("user/info", StringComparison.Ordinal)).Select(c => c.HttpStatus));
    }

    [Fact]
    public async Task Ambiguous_timeout_on_customer_service_send_is_not_retried()
    {
        var follower = await FollowerWhoJustWroteAsync();
        _simulator.Platform.Faults.Add(new FaultRule { PathContains = CustomSend, DelayAfterProcessingMilliseconds = 2500 });

        var result = await Messaging.SendCustomerServiceMessageAsync(_account.AppId, follower, new TextReply("once only"), null, CancellationToken.None);

        Assert.Equal(WeChatFailure.Ambiguous, result.Failure);
        Assert.Equal(1, _simulator.Platform.Calls.Count(call => call.Path == CustomSend));
    }

    [Fact]
    public async Task Template_send_retries_a_timeout_safely_because_of_client_msg_id()
    {
        var follower = await FollowerWhoJustWroteAsync();
        _simulator.Platform.Faults.Add(new FaultRule { PathContains = "template/send", DelayAfterProcessingMilliseconds = 1500 });
        var request = new TemplateMessageRequest(follower, "TEMPLATE_1", new Dictionary<string, string> { ["keyword1"] = "巧克力" }, ClientMsgId: "order-42-shipped");

        var result = await Messaging.SendTemplateMessageAsync(_account.AppId, request, CancellationToken.None);

        var calls = _simulator.Platform.Calls.Snapshot(call => call.Path.Contains("template/send", StringComparison.Ordinal));
        Assert.True(calls.Count > 1, "the idempotent send was retried after the timeout");
        Assert.Single(calls, call => call.Delivered);
        Assert.All(calls, call => Assert.Equal("order-42-shipped", call.Json()!["client_msg_id"]!.GetValue<string>()));
        Assert.True(result.Succeeded || result.Failure == WeChatFailure.Transient);
    }

    [Fact]
    public async Task Json_bodies_keep_chinese_and_markup_literal()
    {
        var follower = await FollowerWhoJustWroteAsync();
        const string content = "您好!输入“菜单”查看 <a href=\"https://example.com/?a=1&b=2\">链接</a>";

        var result = await Messaging.SendCustomerServiceMessageAsync(_account.AppId, follower, new TextReply(content), "kf1@test", CancellationToken.None);

        var call = _simulator.Platform.Calls.Snapshot(c => c.Path == CustomSend)[^1];
        Assert.Contains("您好!输入“菜单”查看 <a href=\\\"https://example.com/?a=1&b=2\\\">链接</a>", call.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("\\u", call.Body, StringComparison.Ordinal);
        Assert.Equal(WeChatFailure.Rejected, result.Failure); // kf1@test is not an agent of this account (65401)
        Assert.Equal(65401, result.ErrorCode);
    }

    [Fact]
    public async Task Every_customer_service_content_type_is_accepted_by_the_platform()
    {
        ReplyContent[] contents =
        [
            new ImageReply("m1"), new VoiceReply("v1"), new VideoReply("vid", "thumb", "标题", "描述"),
            new MusicReply("thumb", "歌", "描述", "http://m", "http://hq"), new NewsReply([new NewsArticle("标题", "描述", "https://e.com", "https://e.com/p.png")]),
        ];
        foreach (var content in contents)
        {
            var follower = await FollowerWhoJustWroteAsync();
            var result = await Messaging.SendCustomerServiceMessageAsync(_account.AppId, follower, content, null, CancellationToken.None);
            Assert.True(result.Succeeded, $"{content.MsgType}: {result}");
            Assert.NotNull(_simulator.Platform.Calls.Snapshot(c => c.Path == CustomSend)[^1].Json()![content.MsgType]);
        }

        ReplyContent[] moreContents =
        [
            new MpNewsReply("mpnews1"), new MessageMenuReply("满意吗?", [new MessageMenuItem("101", "满意"), new MessageMenuItem("102", "不满意")], "谢谢"),
            new MiniProgramPageReply("卡片", "wxmini", "pages/index", "thumb"),
        ];
        var last = await FollowerWhoJustWroteAsync();
        foreach (var content in moreContents)
        {
            var result = await Messaging.SendCustomerServiceMessageAsync(_account.AppId, last, content, null, CancellationToken.None);
            Assert.True(result.Succeeded, $"{content.MsgType}: {result}");
        }
    }

    [Fact]
    public async Task Agents_sessions_menus_users_and_qr_codes_round_trip()
    {
        var follower = await FollowerWhoJustWroteAsync();
        _simulator.Platform.SetAgent(_account.AppId, "kf1@test", "客服一", online: true, acceptedCases: 2);
        var service = _client.Get<IWeChatCustomerServiceApi>();
        var management = _client.Get<IWeChatManagementApi>();

        var online = await service.GetOnlineAgentsAsync(_account.AppId, CancellationToken.None);
        Assert.Equal(("kf1@test", 2), (Assert.Single(online.Value!).KfAccount, online.Value![0].AcceptedCases));
        Assert.Equal("客服一", Assert.Single((await service.GetAgentsAsync(_account.AppId, CancellationToken.None)).Value!).Nickname);
        Assert.True((await service.CreateSessionAsync(_account.AppId, "kf1@test", follower, CancellationToken.None)).Succeeded);
        Assert.Equal("kf1@test", (await service.GetSessionAsync(_account.AppId, follower, CancellationToken.None)).Value!.KfAccount);
        Assert.True((await service.CloseSessionAsync(_account.AppId, "kf1@test", follower, CancellationToken.None)).Succeeded);
        Assert.Null((await service.GetSessionAsync(_account.AppId, follower, CancellationToken.None)).Value!.KfAccount);

        var menu = JsonNode.Parse("""{"button":[{"type":"click","name":"今日歌曲","key":"V1001_TODAY_MUSIC"}]}""")!.AsObject();
        Assert.True((await management.CreateMenuAsync(_account.AppId, menu, CancellationToken.None)).Succeeded);
        Assert.Equal("今日歌曲", (await management.GetMenuAsync(_account.AppId, CancellationToken.None)).Value!["menu"]!["button"]![0]!["name"]!.GetValue<string>());
        Assert.True((await management.DeleteMenuAsync(_account.AppId, CancellationToken.None)).Succeeded);

        var user = await management.GetUserInfoAsync(_account.AppId, follower, CancellationToken.None);
        Assert.True(user.Value!.Subscribed);
        Assert.Single((await management.GetUserInfosAsync(_account.AppId, [follower], CancellationToken.None)).Value!);

        var qr = await management.CreateQrCodeAsync(_account.AppId, new QrCodeRequest(604800, null, "campaign-42"), CancellationToken.None);
        Assert.Equal(604800, qr.Value!.ExpireSeconds);
        Assert.Equal("QR_STR_SCENE", _simulator.Platform.Calls.Snapshot(c => c.Path.EndsWith("qrcode/create", StringComparison.Ordinal))[^1].Json()!["action_name"]!.GetValue<string>());

        using var image = new MemoryStream([1, 2, 3, 4]);
        Assert.StartsWith("sim_media_", (await management.UploadTemporaryMediaAsync(_account.AppId, "image", image, "a.jpg", CancellationToken.None)).Value!.MediaId, StringComparison.Ordinal);
        Assert.True((await Messaging.SetTypingAsync(_account.AppId, follower, true, CancellationToken.None)).Succeeded);
    }

    private async Task<string> FollowerWhoJustWroteAsync()
    {
        var follower = "oFollower" + Guid.NewGuid().ToString("N")[..12];
        // The platform opens the window when it delivers the follower's message; no server needs to answer.
        _simulator.Platform.RecordInteraction(_account.AppId, Push.Text(_account.OriginalId, follower, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), "hello"));
        await Task.CompletedTask;
        return follower;
    }
}
