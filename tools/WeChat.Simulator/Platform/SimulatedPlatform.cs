using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using WeChat.Simulator.Callbacks;

namespace WeChat.Simulator.Platform;

/// <summary>A push the platform itself sends back to the account's callback URL (job results, session events).</summary>
public sealed record PlatformPush(string AppId, XElement Xml, TimeSpan Delay);

/// <summary>
/// The state and rules of the fake WeChat platform: accounts, tokens, followers and their
/// customer-service windows, agents and sessions, templates, menus, OAuth codes. Every operation
/// answers as WeChat does, errcodes included. One lock guards the state: the simulator favours
/// being right over being fast, and it is still far faster than the platform it tests.
/// </summary>
public sealed class SimulatedPlatform
{
    public const string DefaultWebUser = "oSimulatedWebUser0000000000";
    private const int MaxCodeAgeSeconds = 300;

    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly SimulatorOptions _options;
    private readonly Dictionary<string, AccountState> _accounts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, OAuthCode> _codes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, OAuthGrant> _userTokens = new(StringComparer.Ordinal);
    private readonly Dictionary<string, OAuthGrant> _refreshTokens = new(StringComparer.Ordinal);
    private long _nextTemplateMsgId = 2_000_000_000;
    private long _nextAgentId = 1000;

    public SimulatedPlatform(SimulatorOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
        Tokens = new TokenIssuer(time, options);
        Calls = new CallRecorder(options.MaxRecordedCalls);
        foreach (var account in options.Accounts)
        {
            AddAccount(account);
        }
    }

    public TokenIssuer Tokens { get; }

    public CallRecorder Calls { get; }

    public FaultInjector Faults { get; } = new();

    public TimeProvider Time => _time;

    /// <summary>Raised with pushes the platform sends on its own (TEMPLATESENDJOBFINISH, kf session events).</summary>
    public event Action<PlatformPush>? Pushed;

    public void AddAccount(SimulatedAccountOptions account)
    {
        lock (_gate)
        {
            var state = new AccountState(account);
            foreach (var agent in account.Agents)
            {
                state.Agents[agent.KfAccount] = new Agent(agent.KfAccount, agent.Nickname, (++_nextAgentId).ToString(CultureInfo.InvariantCulture))
                {
                    Online = agent.Online,
                    AcceptedCases = agent.AcceptedCases,
                };
            }

            _accounts[account.AppId] = state;
        }
    }

    public SimulatedAccountOptions? FindAccount(string appId)
    {
        lock (_gate)
        {
            return _accounts.TryGetValue(appId, out var state) ? state.Options : null;
        }
    }

    public IReadOnlyList<SimulatedAccountOptions> Accounts
    {
        get
        {
            lock (_gate)
            {
                return _accounts.Values.Select(a => a.Options).ToList();
            }
        }
    }

    public CallbackCredentials Credentials(string appId)
    {
        var account = FindAccount(appId) ?? throw new InvalidOperationException($"The simulator has no account {appId}.");
        return new CallbackCredentials(account.AppId, account.Token, account.EncodingAESKey);
    }

    // ---- followers ------------------------------------------------------------------------

    /// <summary>Records what a follower did, as WeChat does when it delivers the push to the account.</summary>
    public void RecordInteraction(string appId, XElement push)
    {
        var openId = push.Element("FromUserName")?.Value;
        if (string.IsNullOrEmpty(openId))
        {
            return;
        }

        var msgType = push.Element("MsgType")?.Value ?? string.Empty;
        var eventName = push.Element("Event")?.Value.ToLowerInvariant();
        lock (_gate)
        {
            var follower = Follower(appId, openId);
            var now = _time.GetUtcNow();
            switch (msgType == "event" ? eventName : "message")
            {
                case "message":
                    follower.Interact(Interaction.Message, now);
                    break;
                case "subscribe":
                    follower.Interact(Interaction.Follow, now);
                    var key = push.Element("EventKey")?.Value;
                    follower.QrScene = key is not null && key.StartsWith("qrscene_", StringComparison.Ordinal) ? key["qrscene_".Length..] : null;
                    break;
                case "unsubscribe":
                    follower.Subscribed = false;
                    follower.WindowEndsAt = now;
                    break;
                case "scan":
                    follower.Interact(Interaction.Scan, now);
                    break;
                case "click" or "scancode_push" or "scancode_waitmsg":
                    follower.Interact(Interaction.MenuClick, now);
                    break;
            }
        }
    }

    public SimulatedFollower? FindFollower(string appId, string openId)
    {
        lock (_gate)
        {
            return _accounts.TryGetValue(appId, out var account) && account.Followers.TryGetValue(openId, out var follower) ? follower : null;
        }
    }

    public void SetTemplateBlocked(string appId, string openId, bool blocked)
    {
        lock (_gate)
        {
            Follower(appId, openId).BlocksTemplates = blocked;
        }
    }

    // ---- tokens -----------------------------------------------------------------------------

    public ApiAnswer IssueStableToken(JsonObject? body)
    {
        var grantType = body?["grant_type"]?.GetValue<string>();
        var appId = body?["appid"]?.GetValue<string>();
        var secret = body?["secret"]?.GetValue<string>();
        var force = body?["force_refresh"] is { } forceNode && forceNode.GetValueKind() == JsonValueKind.True;
        if (grantType != "client_credential")
        {
            return ApiAnswer.Error(40002, "invalid grant_type");
        }

        if (CheckSecret(appId, secret) is { } refusal)
        {
            return refusal;
        }

        var (token, expiresIn, errorCode) = Tokens.Stable(appId!, force);
        return errorCode != 0
            ? ApiAnswer.Error(errorCode, "api minute-quota reach limit, force_refresh may be called once every 30 seconds")
            : ApiAnswer.Plain(new JsonObject { ["access_token"] = token, ["expires_in"] = expiresIn });
    }

    public ApiAnswer IssueClassicToken(string? grantType, string? appId, string? secret)
    {
        if (grantType != "client_credential")
        {
            return ApiAnswer.Error(40002, "invalid grant_type");
        }

        if (CheckSecret(appId, secret) is { } refusal)
        {
            return refusal;
        }

        var (token, expiresIn) = Tokens.Classic(appId!);
        return ApiAnswer.Plain(new JsonObject { ["access_token"] = token, ["expires_in"] = expiresIn });
    }

    /// <summary>The jsapi_ticket: the same ticket until it expires.</summary>
    public ApiAnswer GetTicket(string appId, string? type)
    {
        if (type != "jsapi" && type != "wx_card")
        {
            return ApiAnswer.Error(40097, "invalid args");
        }

        lock (_gate)
        {
            var account = _accounts[appId];
            var now = _time.GetUtcNow();
            if (account.Ticket is null || now >= account.TicketExpiresAt)
            {
                account.Ticket = "sim_ticket_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
                account.TicketExpiresAt = now.AddSeconds(_options.TokenLifetimeSeconds);
                account.TicketsIssued++;
            }

            return ApiAnswer.Ok(new JsonObject { ["ticket"] = account.Ticket, ["expires_in"] = (int)(account.TicketExpiresAt - now).TotalSeconds });
        }
    }

    public int TicketsIssued(string appId)
    {
        lock (_gate)
        {
            return _accounts[appId].TicketsIssued;
        }
    }

    // ---- customer-service messages ----------------------------------------------------------

    public ApiAnswer SendCustomMessage(string appId, string rawBody, JsonObject? body)
    {
        // WeChat refuses \uXXXX escapes in this body (40033); clients must write CJK literally.
        if (rawBody.Contains("\\u", StringComparison.Ordinal))
        {
            return ApiAnswer.Error(40033, "invalid charset. please check your request, if include \\uxxxx will create fail!");
        }

        var toUser = body?["touser"]?.GetValue<string>();
        var msgType = body?["msgtype"]?.GetValue<string>();
        if (!IsOpenId(toUser))
        {
            return ApiAnswer.Error(40003, "invalid openid");
        }

        if (msgType is null || body![msgType] is not JsonObject payload || !CustomMessageTypes.Contains(msgType))
        {
            return ApiAnswer.Error(40008, "invalid message type");
        }

        if (msgType == "text" && string.IsNullOrEmpty(payload["content"]?.GetValue<string>()))
        {
            return ApiAnswer.Error(44004, "empty content");
        }

        if (msgType == "news" && payload["articles"] is JsonArray { Count: > 1 })
        {
            return ApiAnswer.Error(45008, "article size out of limit");
        }

        lock (_gate)
        {
            var account = _accounts[appId];
            if (body["customservice"]?["kf_account"]?.GetValue<string>() is { } kfAccount && !account.Agents.ContainsKey(kfAccount))
            {
                return ApiAnswer.Error(65401, "invalid custom service account");
            }

            var follower = Follower(appId, toUser!, createIfMissing: !_options.EnforceServiceWindow);
            if (follower is null)
            {
                return ApiAnswer.Error(45015, "response out of time limit or subscription is canceled");
            }

            if (_options.EnforceServiceWindow)
            {
                var window = follower.TryConsumeWindow(_time.GetUtcNow());
                if (window == 45015)
                {
                    return ApiAnswer.Error(45015, "response out of time limit or subscription is canceled");
                }

                if (window == 45047)
                {
                    return ApiAnswer.Error(45047, "out of response count limit");
                }
            }

            follower.TypingUntil = null;
            return ApiAnswer.Ok(delivered: true);
        }
    }

    public ApiAnswer Typing(string appId, JsonObject? body)
    {
        var toUser = body?["touser"]?.GetValue<string>();
        var command = body?["command"]?.GetValue<string>();
        if (command is not ("Typing" or "CancelTyping"))
        {
            return ApiAnswer.Error(45072, "command invalid");
        }

        lock (_gate)
        {
            var now = _time.GetUtcNow();
            var follower = toUser is null ? null : Follower(appId, toUser, createIfMissing: false);
            if (follower?.LastInteractionAt is not { } last || now - last > TimeSpan.FromSeconds(30))
            {
                return ApiAnswer.Error(45080, "has not sent message to user recently");
            }

            if (command == "Typing")
            {
                if (follower.TypingUntil > now)
                {
                    return ApiAnswer.Error(45081, "already in typing");
                }

                follower.TypingUntil = now.AddSeconds(15);
            }
            else
            {
                follower.TypingUntil = null;
            }

            return ApiAnswer.Ok();
        }
    }

    // ---- template messages ------------------------------------------------------------------

    public ApiAnswer SendTemplate(string appId, string rawBody, JsonObject? body)
    {
        if (rawBody.Contains("\\u", StringComparison.Ordinal))
        {
            return ApiAnswer.Error(40033, "invalid charset. please check your request, if include \\uxxxx will create fail!");
        }

        var toUser = body?["touser"]?.GetValue<string>();
        var templateId = body?["template_id"]?.GetValue<string>();
        if (!IsOpenId(toUser))
        {
            return ApiAnswer.Error(40003, "invalid openid");
        }

        if (string.IsNullOrEmpty(templateId))
        {
            return ApiAnswer.Error(40037, "invalid template_id");
        }

        if (body!["data"] is not JsonObject)
        {
            return ApiAnswer.Error(47001, "data format error");
        }

        lock (_gate)
        {
            var account = _accounts[appId];
            var follower = Follower(appId, toUser!);
            if (!follower.Subscribed)
            {
                return ApiAnswer.Error(43004, "require subscribe");
            }

            var now = _time.GetUtcNow();
            var clientMsgId = body["client_msg_id"]?.GetValue<string>();
            if (clientMsgId is not null && account.TemplateKeys.TryGetValue((toUser!, clientMsgId), out var earlier) && now - earlier.At < TimeSpan.FromMinutes(10))
            {
                // Same openid + client_msg_id within 10 minutes: WeChat sends nothing new.
                return ApiAnswer.Ok(new JsonObject { ["msgid"] = earlier.MsgId });
            }

            var msgId = ++_nextTemplateMsgId;
            if (clientMsgId is not null)
            {
                account.TemplateKeys[(toUser!, clientMsgId)] = (msgId, now);
            }

            var status = follower.BlocksTemplates ? "failed:user block" : "success";
            Push(new PlatformPush(appId,
                Callbacks.Push.TemplateSendJobFinish(account.Options.OriginalId, toUser!, now.ToUnixTimeSeconds(), msgId, status),
                TimeSpan.FromMilliseconds(_options.TemplateJobFinishDelayMilliseconds)));
            return ApiAnswer.Ok(new JsonObject { ["msgid"] = msgId }, delivered: true);
        }
    }

    // ---- agents and sessions ----------------------------------------------------------------

    public void SetAgent(string appId, string kfAccount, string? nickname, bool online, int? acceptedCases)
    {
        lock (_gate)
        {
            var account = _accounts[appId];
            if (!account.Agents.TryGetValue(kfAccount, out var agent))
            {
                agent = new Agent(kfAccount, nickname ?? kfAccount, (++_nextAgentId).ToString(CultureInfo.InvariantCulture));
                account.Agents[kfAccount] = agent;
            }

            agent.Online = online;
            agent.Nickname = nickname ?? agent.Nickname;
            agent.AcceptedCases = acceptedCases ?? agent.AcceptedCases;
        }
    }

    public ApiAnswer ListAgents(string appId)
    {
        lock (_gate)
        {
            return ApiAnswer.Plain(new JsonObject
            {
                ["kf_list"] = new JsonArray(_accounts[appId].Agents.Values.Select(agent => (JsonNode)new JsonObject
                {
                    ["kf_account"] = agent.KfAccount,
                    ["kf_nick"] = agent.Nickname,
                    ["kf_id"] = agent.Id,
                    ["kf_headimgurl"] = "http://mmbiz.qpic.cn/simulated-agent.png",
                }).ToArray()),
            });
        }
    }

    public ApiAnswer ListOnlineAgents(string appId)
    {
        lock (_gate)
        {
            return ApiAnswer.Plain(new JsonObject
            {
                ["kf_online_list"] = new JsonArray(_accounts[appId].Agents.Values.Where(a => a.Online).Select(agent => (JsonNode)new JsonObject
                {
                    ["kf_account"] = agent.KfAccount,
                    ["status"] = 1,
                    ["kf_id"] = agent.Id,
                    ["accepted_case"] = agent.AcceptedCases,
                }).ToArray()),
            });
        }
    }

    public ApiAnswer CreateSession(string appId, JsonObject? body)
    {
        var kfAccount = body?["kf_account"]?.GetValue<string>();
        var openId = body?["openid"]?.GetValue<string>();
        if (!IsOpenId(openId))
        {
            return ApiAnswer.Error(40003, "invalid openid");
        }

        lock (_gate)
        {
            var account = _accounts[appId];
            if (kfAccount is null || !account.Agents.TryGetValue(kfAccount, out var agent))
            {
                return ApiAnswer.Error(65401, "invalid custom service account");
            }

            if (account.Sessions.TryGetValue(openId!, out var serving))
            {
                return serving == kfAccount ? ApiAnswer.Ok() : ApiAnswer.Error(65414, "customer is being served by another kf");
            }

            if (!agent.Online)
            {
                return ApiAnswer.Error(65415, "custom service account is not online");
            }

            account.Sessions[openId!] = kfAccount;
            agent.AcceptedCases++;
            Push(new PlatformPush(appId, Callbacks.Push.KfCreateSession(account.Options.OriginalId, openId!, _time.GetUtcNow().ToUnixTimeSeconds(), kfAccount), TimeSpan.Zero));
            return ApiAnswer.Ok();
        }
    }

    public ApiAnswer CloseSession(string appId, JsonObject? body)
    {
        var kfAccount = body?["kf_account"]?.GetValue<string>();
        var openId = body?["openid"]?.GetValue<string>();
        return CloseSession(appId, kfAccount, openId);
    }

    /// <summary>Closes a session as the agent's tool does; pushes kf_close_session.</summary>
    public ApiAnswer CloseSession(string appId, string? kfAccount, string? openId)
    {
        lock (_gate)
        {
            var account = _accounts[appId];
            if (openId is null || !account.Sessions.TryGetValue(openId, out var serving) || (kfAccount is not null && serving != kfAccount))
            {
                return ApiAnswer.Error(65413, "no session for this customer");
            }

            account.Sessions.Remove(openId);
            if (account.Agents.TryGetValue(serving, out var agent))
            {
                agent.AcceptedCases = Math.Max(0, agent.AcceptedCases - 1);
            }

            Push(new PlatformPush(appId, Callbacks.Push.KfCloseSession(account.Options.OriginalId, openId, _time.GetUtcNow().ToUnixTimeSeconds(), serving), TimeSpan.Zero));
            return ApiAnswer.Ok();
        }
    }

    public ApiAnswer GetSession(string appId, string? openId)
    {
        lock (_gate)
        {
            var serving = openId is not null && _accounts[appId].Sessions.TryGetValue(openId, out var kf) ? kf : string.Empty;
            return ApiAnswer.Ok(new JsonObject { ["kf_account"] = serving, ["createtime"] = _time.GetUtcNow().ToUnixTimeSeconds() });
        }
    }

    public string? ServingAgent(string appId, string openId)
    {
        lock (_gate)
        {
            return _accounts[appId].Sessions.TryGetValue(openId, out var kf) ? kf : null;
        }
    }

    // ---- menus, users, QR codes, media ------------------------------------------------------

    public ApiAnswer CreateMenu(string appId, JsonObject? body)
    {
        if (body?["button"] is not JsonArray buttons || buttons.Count is 0 or > 3)
        {
            return ApiAnswer.Error(40016, "invalid button size");
        }

        if (buttons.Any(b => b?["sub_button"] is JsonArray { Count: > 5 }))
        {
            return ApiAnswer.Error(40017, "invalid sub button size");
        }

        lock (_gate)
        {
            _accounts[appId].Menu = body.DeepClone().AsObject();
            return ApiAnswer.Ok();
        }
    }

    public ApiAnswer GetMenu(string appId)
    {
        lock (_gate)
        {
            return _accounts[appId].Menu is { } menu
                ? ApiAnswer.Plain(new JsonObject { ["menu"] = menu.DeepClone() })
                : ApiAnswer.Error(46003, "menu no exist");
        }
    }

    public ApiAnswer DeleteMenu(string appId)
    {
        lock (_gate)
        {
            _accounts[appId].Menu = null;
            return ApiAnswer.Ok();
        }
    }

    public ApiAnswer UserInfo(string appId, string? openId)
    {
        lock (_gate)
        {
            return openId is not null && _accounts[appId].Followers.TryGetValue(openId, out var follower)
                ? ApiAnswer.Plain(UserJson(follower))
                : ApiAnswer.Error(40003, "invalid openid");
        }
    }

    public ApiAnswer UserInfos(string appId, JsonObject? body)
    {
        if (body?["user_list"] is not JsonArray list || list.Count is 0 or > 100)
        {
            return ApiAnswer.Error(40032, "invalid openid list size");
        }

        lock (_gate)
        {
            var users = new JsonArray();
            foreach (var item in list)
            {
                var openId = item?["openid"]?.GetValue<string>();
                if (openId is null || !_accounts[appId].Followers.TryGetValue(openId, out var follower))
                {
                    return ApiAnswer.Error(40003, "invalid openid");
                }

                users.Add(UserJson(follower));
            }

            return ApiAnswer.Plain(new JsonObject { ["user_info_list"] = users });
        }
    }

    public static ApiAnswer CreateQrCode(JsonObject? body)
    {
        var action = body?["action_name"]?.GetValue<string>();
        if (action is not ("QR_SCENE" or "QR_STR_SCENE" or "QR_LIMIT_SCENE" or "QR_LIMIT_STR_SCENE") || body?["action_info"]?["scene"] is not JsonObject)
        {
            return ApiAnswer.Error(40053, "invalid action info");
        }

        var ticket = Convert.ToBase64String(RandomNumberGenerator.GetBytes(36));
        var answer = new JsonObject { ["ticket"] = ticket, ["url"] = "http://weixin.qq.com/q/" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)) };
        if (action.StartsWith("QR_SCENE", StringComparison.Ordinal) || action == "QR_STR_SCENE")
        {
            answer["expire_seconds"] = body!["expire_seconds"]?.GetValue<int>() ?? 60;
        }

        return ApiAnswer.Plain(answer);
    }

    public ApiAnswer UploadMedia(string? type, long length)
    {
        if (type is not ("image" or "voice" or "video" or "thumb"))
        {
            return ApiAnswer.Error(40004, "invalid media type");
        }

        if (length == 0)
        {
            return ApiAnswer.Error(41005, "media data missing");
        }

        return ApiAnswer.Plain(new JsonObject
        {
            ["type"] = type,
            ["media_id"] = "sim_media_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
            ["created_at"] = _time.GetUtcNow().ToUnixTimeSeconds(),
        });
    }

    // ---- OAuth ------------------------------------------------------------------------------

    /// <summary>What the authorize page does once the user consents: a single-use code valid for 5 minutes.</summary>
    public string IssueOAuthCode(string appId, string openId, string scope)
    {
        lock (_gate)
        {
            var code = "sim_code_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
            _codes[code] = new OAuthCode(appId, openId, scope, _time.GetUtcNow());
            return code;
        }
    }

    public ApiAnswer ExchangeOAuthCode(string? appId, string? secret, string? code, string? grantType)
    {
        if (grantType != "authorization_code")
        {
            return ApiAnswer.Error(40002, "invalid grant_type");
        }

        if (CheckSecret(appId, secret) is { } refusal)
        {
            return refusal;
        }

        lock (_gate)
        {
            if (code is null || !_codes.TryGetValue(code, out var issued) || issued.AppId != appId)
            {
                return ApiAnswer.Error(40029, "invalid code");
            }

            if (issued.Used)
            {
                return ApiAnswer.Error(40163, "code been used");
            }

            if ((_time.GetUtcNow() - issued.IssuedAt).TotalSeconds > MaxCodeAgeSeconds)
            {
                return ApiAnswer.Error(42003, "code expired");
            }

            issued.Used = true;
            return ApiAnswer.Plain(IssueUserToken(new OAuthGrant(issued.AppId, issued.OpenId, issued.Scope, DateTimeOffset.MinValue)));
        }
    }

    public ApiAnswer RefreshOAuthToken(string? appId, string? refreshToken, string? grantType)
    {
        if (grantType != "refresh_token")
        {
            return ApiAnswer.Error(40002, "invalid grant_type");
        }

        lock (_gate)
        {
            if (refreshToken is null || !_refreshTokens.TryGetValue(refreshToken, out var grant) || grant.AppId != appId)
            {
                return ApiAnswer.Error(40030, "invalid refresh_token");
            }

            if (_time.GetUtcNow() >= grant.ExpiresAt)
            {
                return ApiAnswer.Error(42002, "refresh_token expired");
            }

            return ApiAnswer.Plain(IssueUserToken(grant));
        }
    }

    public ApiAnswer OAuthUserInfo(string? accessToken, string? openId)
    {
        lock (_gate)
        {
            if (accessToken is null || !_userTokens.TryGetValue(accessToken, out var grant))
            {
                return ApiAnswer.Error(40001, "invalid credential, access_token is invalid or not latest");
            }

            if (_time.GetUtcNow() >= grant.ExpiresAt)
            {
                return ApiAnswer.Error(42001, "access_token expired");
            }

            if (grant.OpenId != openId)
            {
                return ApiAnswer.Error(40003, "invalid openid");
            }

            if (grant.Scope != "snsapi_userinfo")
            {
                return ApiAnswer.Error(48001, "api unauthorized");
            }

            return ApiAnswer.Plain(new JsonObject
            {
                ["openid"] = grant.OpenId,
                ["nickname"] = "模拟用户",
                ["sex"] = 0,
                ["province"] = string.Empty,
                ["city"] = string.Empty,
                ["country"] = string.Empty,
                ["headimgurl"] = "https://thirdwx.qlogo.cn/simulated/132",
                ["privilege"] = new JsonArray(),
            });
        }
    }

    // ---- helpers ----------------------------------------------------------------------------

    private static readonly HashSet<string> CustomMessageTypes =
        ["text", "image", "voice", "video", "music", "news", "mpnews", "mpnewsarticle", "msgmenu", "wxcard", "miniprogrampage"];

    private static bool IsOpenId(string? openId) =>
        !string.IsNullOrEmpty(openId) && openId.Length <= 64 && openId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    private ApiAnswer? CheckSecret(string? appId, string? secret)
    {
        var account = appId is null ? null : FindAccount(appId);
        if (account is null)
        {
            return ApiAnswer.Error(40013, "invalid appid");
        }

        return account.AppSecret == secret ? null : ApiAnswer.Error(40125, "invalid appsecret");
    }

    private JsonObject IssueUserToken(OAuthGrant grant)
    {
        var now = _time.GetUtcNow();
        var token = "sim_sns_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20));
        var refresh = "sim_refresh_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20));
        _userTokens[token] = grant with { ExpiresAt = now.AddSeconds(7200) };
        _refreshTokens[refresh] = grant with { ExpiresAt = now.AddDays(30) };
        return new JsonObject
        {
            ["access_token"] = token,
            ["expires_in"] = 7200,
            ["refresh_token"] = refresh,
            ["openid"] = grant.OpenId,
            ["scope"] = grant.Scope,
        };
    }

    private JsonObject UserJson(SimulatedFollower follower) => follower.Subscribed
        ? new JsonObject
        {
            ["subscribe"] = 1,
            ["openid"] = follower.OpenId,
            ["language"] = "zh_CN",
            ["subscribe_time"] = (follower.SubscribedAt ?? _time.GetUtcNow()).ToUnixTimeSeconds(),
            ["remark"] = string.Empty,
            ["groupid"] = 0,
            ["tagid_list"] = new JsonArray(),
            ["subscribe_scene"] = follower.QrScene is null ? "ADD_SCENE_SEARCH" : "ADD_SCENE_QR_CODE",
            ["qr_scene"] = int.TryParse(follower.QrScene, CultureInfo.InvariantCulture, out var scene) ? scene : 0,
            ["qr_scene_str"] = follower.QrScene is not null && !int.TryParse(follower.QrScene, CultureInfo.InvariantCulture, out _) ? follower.QrScene : string.Empty,
        }
        : new JsonObject { ["subscribe"] = 0, ["openid"] = follower.OpenId };

    private SimulatedFollower Follower(string appId, string openId) => Follower(appId, openId, createIfMissing: true)!;

    private SimulatedFollower? Follower(string appId, string openId, bool createIfMissing)
    {
        var followers = _accounts[appId].Followers;
        if (!followers.TryGetValue(openId, out var follower) && createIfMissing)
        {
            follower = new SimulatedFollower(openId);
            followers[openId] = follower;
        }

        return follower;
    }

    private void Push(PlatformPush push) => Pushed?.Invoke(push);

    private sealed class AccountState(SimulatedAccountOptions options)
    {
        public SimulatedAccountOptions Options { get; } = options;

        public Dictionary<string, SimulatedFollower> Followers { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, Agent> Agents { get; } = new(StringComparer.Ordinal);

        /// <summary>Follower OpenID → the agent serving them.</summary>
        public Dictionary<string, string> Sessions { get; } = new(StringComparer.Ordinal);

        public Dictionary<(string OpenId, string ClientMsgId), (long MsgId, DateTimeOffset At)> TemplateKeys { get; } = [];

        public JsonObject? Menu { get; set; }

        public string? Ticket { get; set; }

        public DateTimeOffset TicketExpiresAt { get; set; }

        public int TicketsIssued { get; set; }
    }

    private sealed class Agent(string kfAccount, string nickname, string id)
    {
        public string KfAccount { get; } = kfAccount;

        public string Nickname { get; set; } = nickname;

        public string Id { get; } = id;

        public bool Online { get; set; }

        public int AcceptedCases { get; set; }
    }

    private sealed record OAuthCode(string AppId, string OpenId, string Scope, DateTimeOffset IssuedAt)
    {
        public bool Used { get; set; }
    }

    private sealed record OAuthGrant(string AppId, string OpenId, string Scope, DateTimeOffset ExpiresAt);
}
