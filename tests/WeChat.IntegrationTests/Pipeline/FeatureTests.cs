using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WeChat.Application.Abstractions;
using WeChat.Application.Replies;
using WeChat.Domain.Conversations;
using WeChat.Domain.Followers;
using WeChat.Infrastructure.WeChatApi;
using WeChat.IntegrationTests.Infrastructure;
using WeChat.Simulator.Callbacks;

namespace WeChat.IntegrationTests.Pipeline;

/// <summary>
/// What an Official Account team uses day to day, end to end through the API, RabbitMQ, a worker
/// process and the simulator: reply rules, followers, hand-off to agents, template messages, web
/// login, JS-SDK, several accounts, the internal API's keys.
/// </summary>
[Collection(SharedBroker.Name)]
public sealed class FeatureTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Every_rule_type_answers_and_a_rule_change_applies_to_the_next_message()
    {
        await using var pipeline = await PipelineHarness.StartAsync();
        using var api = pipeline.InternalApi();
        var rules = $"/api/accounts/{pipeline.Account.AppId}/reply-rules";
        await CreateRuleAsync(api, rules, new { name = "订单前缀", trigger = "text", match = "prefix", pattern = "订单", priority = 5, enabled = true, reply = Text("查询订单请稍候") });
        await CreateRuleAsync(api, rules, new { name = "价格", trigger = "text", match = "contains", pattern = "价格", priority = 0, enabled = true, reply = Text("价格表见菜单") });
        var regex = await CreateRuleAsync(api, rules, new { name = "验证码", trigger = "text", match = "regex", pattern = "^\\d{6}$", priority = 0, enabled = true, reply = Text("验证码已收到") });
        await CreateRuleAsync(api, rules, new { name = "今日歌曲", trigger = "click", pattern = "V1001_TODAY_MUSIC", priority = 0, enabled = true, reply = new { type = "news", articles = new[] { new { title = "今日歌曲", url = "https://example.com/song" } } } });
        await CreateRuleAsync(api, rules, new { name = "活动码", trigger = "scan", pattern = "promo", priority = 0, enabled = true, reply = new { type = "image", mediaId = "promo-poster" } });
        await CreateRuleAsync(api, rules, new { name = "扫码关注", trigger = "subscribe", pattern = "42", priority = 0, enabled = true, reply = Text("欢迎扫码关注") });
        await CreateRuleAsync(api, rules, new { name = "满意度", trigger = "text", match = "exact", pattern = "评价", priority = 0, enabled = true, reply = new { type = "msgmenu", headContent = "您对服务满意吗?", items = new[] { new { id = "101", content = "满意" }, new { id = "102", content = "不满意" } }, tailContent = "谢谢" } });

        var origin = pipeline.Account.OriginalId;
        var cases = new (string Follower, System.Xml.Linq.XElement Push, Func<JsonObject, string> Reply, string Expected)[]
        {
            ("oRuleExact00001", pipeline.Text("oRuleExact00001", "帮助"), TextOf, DefaultReplyRules.Help),
            ("oRulePrefix0001", pipeline.Text("oRulePrefix0001", "订单 12345"), TextOf, "查询订单请稍候"),
            ("oRuleContains01", pipeline.Text("oRuleContains01", "请问价格多少"), TextOf, "价格表见菜单"),
            ("oRuleRegex00001", pipeline.Text("oRuleRegex00001", "123456"), TextOf, "验证码已收到"),
            ("oRuleDefault001", pipeline.Text("oRuleDefault001", "随便说说"), TextOf, DefaultReplyRules.Unsupported),
            ("oRuleClick00001", Push.Click(origin, "oRuleClick00001", pipeline.Now, "V1001_TODAY_MUSIC"), json => json["news"]!["articles"]![0]!["title"]!.GetValue<string>(), "今日歌曲"),
            ("oRuleScan000001", Push.Scan(origin, "oRuleScan000001", pipeline.Now, "promo"), json => json["image"]!["media_id"]!.GetValue<string>(), "promo-poster"),
            ("oRuleSubscribe1", Push.Subscribe(origin, "oRuleSubscribe1", pipeline.Now, "42"), TextOf, "欢迎扫码关注"),
            ("oRuleSubscribe2", Push.Subscribe(origin, "oRuleSubscribe2", pipeline.Now), TextOf, DefaultReplyRules.Welcome),
            ("oRuleMenu000001", pipeline.Text("oRuleMenu000001", "评价"), json => json["msgmenu"]!["list"]![1]!["content"]!.GetValue<string>(), "不满意"),
        };
        foreach (var (_, push, _, _) in cases)
        {
            await pipeline.SendAsync(push);
        }

        await PipelineHarness.WaitUntilAsync(() => cases.All(c => pipeline.RepliesTo(c.Follower).Count > 0), Patience, "a reply to every rule", pipeline.CallSummary);
        foreach (var (follower, _, reply, expected) in cases)
        {
            Assert.Equal(expected, reply(Assert.Single(pipeline.RepliesTo(follower)).Json()!));
        }

        // Change the regex rule: the very next message sees the new reply.
        var updated = await api.PutAsJsonAsync($"{rules}/{regex}", new { name = "验证码", trigger = "text", match = "regex", pattern = "^\\d{6}$", priority = 0, enabled = true, reply = Text("新的验证码回复") });
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        await pipeline.SendAsync(pipeline.Text("oRuleRegex00002", "654321"));
        await PipelineHarness.WaitUntilAsync(() => pipeline.RepliesTo("oRuleRegex00002").Count > 0, Patience, "the reply after the change", pipeline.StateReport);
        Assert.Equal("新的验证码回复", TextOf(pipeline.RepliesTo("oRuleRegex00002")[0].Json()!));

        // Disabled rules do not answer; deleted rules are gone.
        Assert.Equal(HttpStatusCode.NoContent, (await api.DeleteAsync($"{rules}/{regex}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync($"{rules}/{regex}")).StatusCode);
    }

    [Fact]
    public async Task Rule_validation_errors_are_problem_details_and_nothing_is_stored()
    {
        await using var pipeline = await PipelineHarness.StartAsync(workers: 0);
        using var api = pipeline.InternalApi();
        var rules = $"/api/accounts/{pipeline.Account.AppId}/reply-rules";
        var before = (await api.GetFromJsonAsync<JsonArray>(rules))!.Count;

        var badRegex = await api.PostAsJsonAsync(rules, new { name = "坏", trigger = "text", match = "regex", pattern = "([", priority = 0, enabled = true, reply = Text("x") });
        var noPattern = await api.PostAsJsonAsync(rules, new { name = "空", trigger = "text", match = "exact", priority = 0, enabled = true, reply = Text("x") });
        var twoArticles = await api.PostAsJsonAsync(rules, new { name = "多图文", trigger = "click", pattern = "K", priority = 0, enabled = true, reply = new { type = "news", articles = new[] { new { title = "a" }, new { title = "b" } } } });
        var badJson = await api.PostAsync(rules, new StringContent("{\"name\":", System.Text.Encoding.UTF8, "application/json"));
        var unknownType = await api.PostAsJsonAsync(rules, new { name = "?", trigger = "text", match = "exact", pattern = "p", priority = 0, enabled = true, reply = new { type = "hologram" } });

        foreach (var response in new[] { badRegex, noPattern, twoArticles, badJson, unknownType })
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        }

        Assert.Contains("rule.pattern", await badRegex.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("exactly one article", await twoArticles.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(before, (await api.GetFromJsonAsync<JsonArray>(rules))!.Count);
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync("/api/accounts/wxnosuchaccount/reply-rules")).StatusCode);
    }

    [Fact]
    public async Task Followers_are_recorded_with_their_qr_scene_and_an_unfollowed_follower_gets_no_reply()
    {
        await using var pipeline = await PipelineHarness.StartAsync();
        var origin = pipeline.Account.OriginalId;

        await pipeline.SendAsync(Push.Subscribe(origin, "oFollowPlain001", pipeline.Now));
        await pipeline.SendAsync(Push.Subscribe(origin, "oFollowScene001", pipeline.Now, "campaign_7"));
        await pipeline.SendAsync(Push.LocationReport(origin, "oFollowScene001", pipeline.Now + 1, 23.1, 113.3));
        await PipelineHarness.WaitUntilAsync(() => pipeline.RepliesTo("oFollowPlain001").Count > 0 && pipeline.RepliesTo("oFollowScene001").Count > 0, Patience, "welcome replies", pipeline.StateReport);

        await pipeline.SendAsync(Push.Unsubscribe(origin, "oFollowPlain001", pipeline.Now + 2));
        await PipelineHarness.WaitUntilAsync(() => Follower(pipeline, "oFollowPlain001")?.IsSubscribed == false, Patience, "the unfollow recorded", pipeline.StateReport);
        // An unfollowed user cannot really write, but if a late message arrives the bot stays quiet.
        await pipeline.SendAsync(pipeline.Text("oFollowPlain001", "帮助"));
        await PipelineHarness.WaitUntilAsync(() => Inbox(pipeline, "oFollowPlain001") == 3, Patience, "the late message handled", pipeline.StateReport);
        await PipelineHarness.SettleAsync();

        Assert.Single(pipeline.RepliesTo("oFollowPlain001"));
        var plain = Follower(pipeline, "oFollowPlain001")!;
        var scanned = Follower(pipeline, "oFollowScene001")!;
        Assert.Null(plain.QrScene);
        Assert.NotNull(plain.UnsubscribedAt);
        Assert.Equal("campaign_7", scanned.QrScene);
        Assert.True(scanned.IsSubscribed);
        Assert.Equal(23.1, scanned.Latitude);
        await PipelineHarness.WaitUntilAsync(() => Follower(pipeline, "oFollowScene001")?.ProfileFetchedAt is not null, Patience, "the profile fetched", pipeline.StateReport);
        Assert.Equal("ADD_SCENE_QR_CODE", Follower(pipeline, "oFollowScene001")!.SubscribeSource);
    }

    [Fact]
    public async Task Hand_off_goes_to_the_least_busy_online_agent_and_the_bot_is_silent_until_the_session_closes()
    {
        await using var pipeline = await PipelineHarness.StartAsync();
        var appId = pipeline.Account.AppId;
        pipeline.Simulator.Platform.SetAgent(appId, "busy@test", "忙碌的客服", online: true, acceptedCases: 7);
        pipeline.Simulator.Platform.SetAgent(appId, "free@test", "空闲的客服", online: true, acceptedCases: 1);
        pipeline.Simulator.Platform.SetAgent(appId, "away@test", "离线的客服", online: false, acceptedCases: 0);
        const string follower = "oHandOff0000001";

        await pipeline.SendAsync(pipeline.Text(follower, "人工"));
        await PipelineHarness.WaitUntilAsync(() => Session(pipeline, follower)?.State == ConversationStates.Agent && pipeline.RepliesTo(follower).Count > 0,
            Patience, "the agent session", pipeline.CallSummary);
        Assert.Equal("free@test", pipeline.Simulator.Platform.ServingAgent(appId, follower));
        Assert.Equal("free@test", Session(pipeline, follower)!.KfAccount);
        Assert.Equal("正在为您转接人工客服,请稍候。", PipelineHarness.ContentOf(Assert.Single(pipeline.RepliesTo(follower))));

        await pipeline.SendAsync(pipeline.Text(follower, "帮助"));
        await PipelineHarness.WaitUntilAsync(() => Inbox(pipeline, follower) >= 3, Patience, "the message during the session handled", pipeline.StateReport);
        await PipelineHarness.SettleAsync();
        Assert.Single(pipeline.RepliesTo(follower)); // the bot said nothing while the agent serves

        pipeline.Simulator.Platform.CloseSession(appId, null, follower); // the agent closes it in the agent tool
        await PipelineHarness.WaitUntilAsync(() => Session(pipeline, follower)?.State == ConversationStates.Bot, Patience, "kf_close_session handled", pipeline.StateReport);
        await pipeline.SendAsync(pipeline.Text(follower, "帮助"));
        await PipelineHarness.WaitUntilAsync(() => pipeline.RepliesTo(follower).Count == 2, Patience, "the bot back", pipeline.StateReport);
        Assert.Equal(DefaultReplyRules.Help, PipelineHarness.ContentOf(pipeline.RepliesTo(follower)[1]));
    }

    [Fact]
    public async Task Hand_off_with_nobody_online_says_so_and_keeps_the_bot()
    {
        await using var pipeline = await PipelineHarness.StartAsync();
        pipeline.Simulator.Platform.SetAgent(pipeline.Account.AppId, "away@test", "离线的客服", online: false, acceptedCases: 0);
        const string follower = "oHandOffNobody1";

        await pipeline.SendAsync(pipeline.Text(follower, "人工"));
        await PipelineHarness.WaitUntilAsync(() => pipeline.RepliesTo(follower).Count > 0, Patience, "the no-agent notice", pipeline.CallSummary);
        Assert.Contains("没有在线的人工客服", PipelineHarness.ContentOf(pipeline.RepliesTo(follower)[0]), StringComparison.Ordinal);
        Assert.Equal(ConversationStates.Bot, Session(pipeline, follower)!.State);

        await pipeline.SendAsync(pipeline.Text(follower, "帮助"));
        await PipelineHarness.WaitUntilAsync(() => pipeline.RepliesTo(follower).Count == 2, Patience, "the bot answering", pipeline.StateReport);
        Assert.Equal(DefaultReplyRules.Help, PipelineHarness.ContentOf(pipeline.RepliesTo(follower)[1]));
    }

    [Fact]
    public async Task Template_messages_are_sent_with_client_msg_id_paced_and_their_status_follows_the_job_finish_event()
    {
        await using var pipeline = await PipelineHarness.StartAsync(settings: new Dictionary<string, string?> { ["WeChat:Accounts:0:TemplateMessagesPerSecond"] = "4" });
        using var api = pipeline.InternalApi();
        var appId = pipeline.Account.AppId;
        pipeline.Simulator.Platform.SetTemplateBlocked(appId, "oTemplateBlock1", blocked: true);

        var single = await api.PostAsJsonAsync($"/api/accounts/{appId}/template-messages",
            new { templateId = "ORDER_SHIPPED", toUser = "oTemplateUser01", url = "https://example.com/o/1", data = new Dictionary<string, string> { ["keyword1"] = "巧克力", ["keyword2"] = "39.80" } });
        Assert.Equal(HttpStatusCode.Accepted, single.StatusCode);
        var id = (await single.Content.ReadFromJsonAsync<JsonObject>())!["messages"]![0]!["id"]!.GetValue<Guid>();
        await PipelineHarness.WaitUntilAsync(() => Status(api, $"/api/accounts/{appId}/template-messages/{id}") == "delivered", Patience, "the single message delivered", pipeline.CallSummary);

        // Queued once the worker's first send is done: the schedule paces the sends, not a cold sender
        // that only gets to them after several are already due.
        var bulk = await api.PostAsJsonAsync($"/api/accounts/{appId}/template-messages",
            new { templateId = "NEWS", toUsers = new[] { "oTemplateBulk01", "oTemplateBulk02", "oTemplateBulk03", "oTemplateBulk04", "oTemplateBlock1" }, data = new Dictionary<string, string> { ["keyword1"] = "通知" } });
        var batch = (await bulk.Content.ReadFromJsonAsync<JsonObject>())!["batchId"]!.GetValue<Guid>();
        await PipelineHarness.WaitUntilAsync(() => BatchStatuses(api, $"/api/accounts/{appId}/template-batches/{batch}").Count(s => s is "delivered" or "userBlocked") == 5, Patience, "the batch finished", pipeline.CallSummary);

        var sends = pipeline.Simulator.Platform.Calls.Snapshot(call => call.Delivered && call.Path.EndsWith("template/send", StringComparison.Ordinal));
        Assert.Equal(6, sends.Count);
        Assert.Equal(id.ToString("N"), sends.Single(call => call.Json()!["touser"]!.GetValue<string>() == "oTemplateUser01").Json()!["client_msg_id"]!.GetValue<string>());
        Assert.Contains("巧克力", sends[0].Body, StringComparison.Ordinal);
        var bulkTimes = sends.Where(call => call.Json()!["template_id"]!.GetValue<string>() == "NEWS").Select(call => call.At).Order().ToList();
        Assert.True(bulkTimes[^1] - bulkTimes[0] >= TimeSpan.FromMilliseconds(700), $"5 messages at 4/s span at least 1 s of schedule; saw {bulkTimes[^1] - bulkTimes[0]}");
        Assert.Contains("userBlocked", BatchStatuses(api, $"/api/accounts/{appId}/template-batches/{batch}"));
    }

    [Fact]
    public async Task A_message_sent_through_the_api_goes_out_as_the_named_agent()
    {
        await using var pipeline = await PipelineHarness.StartAsync();
        using var api = pipeline.InternalApi();
        pipeline.Simulator.Platform.SetAgent(pipeline.Account.AppId, "kf2001@test", "客服小美", online: true, acceptedCases: 0);
        const string follower = "oAgentMessage01";
        pipeline.Simulator.Platform.RecordInteraction(pipeline.Account.AppId, pipeline.Text(follower, "在吗"));

        var response = await api.PostAsJsonAsync($"/api/accounts/{pipeline.Account.AppId}/messages", new { toUser = follower, kfAccount = "kf2001@test", content = Text("您好,我是客服小美") });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var location = response.Headers.Location!.ToString();
        await PipelineHarness.WaitUntilAsync(() => pipeline.RepliesTo(follower).Count > 0, Patience, "the agent's message", pipeline.StateReport);
        var sent = Assert.Single(pipeline.RepliesTo(follower)).Json()!;
        Assert.Equal("kf2001@test", sent["customservice"]!["kf_account"]!.GetValue<string>());
        await PipelineHarness.WaitUntilAsync(() => Status(api, location) == "sent", Patience, "status sent", pipeline.StateReport);
    }

    [Fact]
    public async Task Web_login_signs_the_follower_in_once_and_refuses_bad_state_reused_code_and_foreign_return_urls()
    {
        await using var pipeline = await PipelineHarness.StartAsync(workers: 0);
        var appId = pipeline.Account.AppId;
        using var browser = pipeline.Api.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        using var wechat = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        const string returnUrl = "https://app.example.com/welcome?from=menu";

        var authorize = await browser.GetAsync($"/oauth/{appId}/authorize?scope=snsapi_userinfo&returnUrl={Uri.EscapeDataString(returnUrl)}");
        Assert.Equal(HttpStatusCode.Redirect, authorize.StatusCode);
        var toWeChat = authorize.Headers.Location!;
        Assert.EndsWith("#wechat_redirect", toWeChat.ToString(), StringComparison.Ordinal);
        var consent = await wechat.GetAsync(new Uri(toWeChat.GetLeftPart(UriPartial.Query) + "&sim_openid=oWebLogin000001"));
        var callback = consent.Headers.Location!;
        Assert.StartsWith("http://localhost/oauth/", callback.ToString(), StringComparison.Ordinal);

        var done = await browser.GetAsync(callback.PathAndQuery);
        Assert.Equal(HttpStatusCode.Redirect, done.StatusCode);
        var back = done.Headers.Location!.ToString();
        Assert.StartsWith(returnUrl + "&wechat_token=", back, StringComparison.Ordinal);
        var token = Uri.UnescapeDataString(back[(back.IndexOf("wechat_token=", StringComparison.Ordinal) + "wechat_token=".Length)..]);

        using var api = pipeline.InternalApi();
        var identity = await (await api.PostAsJsonAsync("/api/web-identities/verify", new { token })).Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal(("oWebLogin000001", appId), (identity!["openId"]!.GetValue<string>(), identity["appId"]!.GetValue<string>()));
        Assert.Equal("模拟用户", Follower(pipeline, "oWebLogin000001")!.Nickname);

        var reused = await browser.GetAsync(callback.PathAndQuery);
        Assert.Equal(HttpStatusCode.BadRequest, reused.StatusCode);
        Assert.Contains("already used", await reused.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var tampered = callback.PathAndQuery.Replace("state=", "state=X", StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, (await browser.GetAsync(tampered)).StatusCode);
        var otherReturn = callback.PathAndQuery.Replace("welcome", "elsewhere", StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, (await browser.GetAsync(otherReturn)).StatusCode);

        var foreign = await browser.GetAsync($"/oauth/{appId}/authorize?returnUrl={Uri.EscapeDataString("https://evil.example.net/steal")}");
        Assert.Equal(HttpStatusCode.BadRequest, foreign.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await api.PostAsJsonAsync("/api/web-identities/verify", new { token = token + "x" })).StatusCode);
    }

    [Fact]
    public async Task Js_sdk_config_is_signed_with_the_platform_ticket()
    {
        await using var pipeline = await PipelineHarness.StartAsync(workers: 0);
        using var api = pipeline.InternalApi();
        const string page = "https://app.example.com/page?x=1";

        var config = await api.GetFromJsonAsync<JsonObject>($"/api/accounts/{pipeline.Account.AppId}/jssdk-config?url={Uri.EscapeDataString(page + "#section")}");

        var ticket = pipeline.Simulator.Platform.GetTicket(pipeline.Account.AppId, "jsapi").Json["ticket"]!.GetValue<string>();
        Assert.Equal(JsSdkSigner.Sign(ticket, config!["nonceStr"]!.GetValue<string>(), config["timestamp"]!.GetValue<long>(), page), config["signature"]!.GetValue<string>());
        Assert.Equal(pipeline.Account.AppId, config["appId"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.BadRequest, (await api.GetAsync($"/api/accounts/{pipeline.Account.AppId}/jssdk-config?url=not-a-url")).StatusCode);
    }

    [Fact]
    public async Task Two_accounts_side_by_side_share_nothing()
    {
        var second = TestAccounts.Create("two");
        await using var pipeline = await PipelineHarness.StartAsync(moreAccounts: second);
        using var api = pipeline.InternalApi();
        var first = pipeline.Account;
        await CreateRuleAsync(api, $"/api/accounts/{first.AppId}/reply-rules", new { name = "专属", trigger = "text", match = "exact", pattern = "专属", priority = 0, enabled = true, reply = Text("只属于第一个账号") });
        pipeline.Simulator.Platform.SetAgent(first.AppId, "kf@first", "一号客服", online: true, acceptedCases: 0);
        const string sameOpenId = "oSameOpenIdText1"; // OpenIDs are per account, but nothing may collide even if strings match

        await pipeline.SendAsync(pipeline.Text(sameOpenId, "专属"));
        await pipeline.Simulator.Sender.SendAsync(second.AppId, Push.Text(second.OriginalId, sameOpenId, pipeline.Now, "专属"));
        await pipeline.SendAsync(pipeline.Text("oHandOffFirst01", "人工"));
        await pipeline.Simulator.Sender.SendAsync(second.AppId, Push.Text(second.OriginalId, "oHandOffFirst01", pipeline.Now, "帮助"));

        bool Replied(string appId, string follower) => pipeline.AllReplies().Any(c => c.AppId == appId && c.Json()!["touser"]!.GetValue<string>() == follower);
        await PipelineHarness.WaitUntilAsync(() => Replied(first.AppId, sameOpenId) && Replied(second.AppId, sameOpenId) && Replied(first.AppId, "oHandOffFirst01") && Replied(second.AppId, "oHandOffFirst01"),
            Patience, "replies from both accounts", pipeline.CallSummary);
        string ReplyText(string appId, string follower) => PipelineHarness.ContentOf(pipeline.AllReplies().Single(c => c.AppId == appId && c.Json()!["touser"]!.GetValue<string>() == follower));
        Assert.Equal("只属于第一个账号", ReplyText(first.AppId, sameOpenId));
        Assert.Equal(DefaultReplyRules.Unsupported, ReplyText(second.AppId, sameOpenId));
        Assert.Equal(DefaultReplyRules.Help, ReplyText(second.AppId, "oHandOffFirst01")); // the first account's agent session does not silence the second

        using var scope = pipeline.Api.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<IApplicationDbContext>();
        Assert.Equal(2, await db.Followers.CountAsync(f => f.OpenId == sameOpenId));
        Assert.Equal(ConversationStates.Agent, (await db.ConversationSessions.SingleAsync(s => s.AppId == first.AppId && s.OpenId == "oHandOffFirst01")).State);
        Assert.Equal(ConversationStates.Bot, (await db.ConversationSessions.SingleAsync(s => s.AppId == second.AppId && s.OpenId == "oHandOffFirst01")).State);
        Assert.Equal(1, pipeline.Simulator.Platform.Tokens.StableIssued(first.AppId));
        Assert.Equal(1, pipeline.Simulator.Platform.Tokens.StableIssued(second.AppId));
        Assert.All(pipeline.AllReplies(), call => Assert.Equal(call.AppId == first.AppId ? first.AppId : second.AppId, call.AppId));
        Assert.Empty(await api.GetFromJsonAsync<JsonArray>($"/api/accounts/{second.AppId}/reply-rules") is { } secondRules
            ? secondRules.Where(rule => rule!["name"]!.GetValue<string>() == "专属")
            : []);
    }

    [Fact]
    public async Task The_internal_api_refuses_calls_without_the_right_key()
    {
        await using var pipeline = await PipelineHarness.StartAsync(workers: 0);
        using var anonymous = pipeline.Api.CreateClient();
        using var wrong = pipeline.Api.CreateClient();
        wrong.DefaultRequestHeaders.Add("X-Api-Key", "not-the-key-0123456789");
        using var right = pipeline.InternalApi();

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/accounts")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.GetAsync("/api/accounts")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.PostAsJsonAsync($"/api/accounts/{pipeline.Account.AppId}/messages", new { toUser = "oX00000", content = Text("x") })).StatusCode);
        var accounts = await right.GetFromJsonAsync<JsonArray>("/api/accounts");
        Assert.Equal(pipeline.Account.AppId, accounts![0]!["appId"]!.GetValue<string>());
        Assert.DoesNotContain("secret", accounts.ToJsonString(), StringComparison.OrdinalIgnoreCase);
    }

    private static object Text(string content) => new { type = "text", content };

    private static string TextOf(JsonObject json) => json["text"]!["content"]!.GetValue<string>();

    private static async Task<long> CreateRuleAsync(HttpClient api, string path, object rule)
    {
        var response = await api.PostAsJsonAsync(path, rule);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<long>();
    }

    private static string? Status(HttpClient api, string path) =>
        api.GetFromJsonAsync<JsonObject>(path).GetAwaiter().GetResult()?["status"]?.GetValue<string>();

    private static List<string> BatchStatuses(HttpClient api, string path) =>
        api.GetFromJsonAsync<JsonArray>(path).GetAwaiter().GetResult()!.Select(m => m!["status"]!.GetValue<string>()).ToList();

    private static Follower? Follower(PipelineHarness pipeline, string openId)
    {
        using var scope = pipeline.Api.Services.CreateScope();
        return scope.ServiceProvider.GetRequiredService<IApplicationDbContext>().Followers.AsNoTracking()
            .SingleOrDefault(f => f.AppId == pipeline.Account.AppId && f.OpenId == openId);
    }

    private static ConversationSession? Session(PipelineHarness pipeline, string openId)
    {
        using var scope = pipeline.Api.Services.CreateScope();
        return scope.ServiceProvider.GetRequiredService<IApplicationDbContext>().ConversationSessions.AsNoTracking()
            .SingleOrDefault(s => s.AppId == pipeline.Account.AppId && s.OpenId == openId);
    }

    private static int Inbox(PipelineHarness pipeline, string openId)
    {
        using var scope = pipeline.Api.Services.CreateScope();
        return scope.ServiceProvider.GetRequiredService<IApplicationDbContext>().InboxEntries.Count(e => e.AppId == pipeline.Account.AppId && e.FromUserName == openId);
    }
}
