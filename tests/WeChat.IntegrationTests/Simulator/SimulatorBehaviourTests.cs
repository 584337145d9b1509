using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using WeChat.IntegrationTests.Infrastructure;
using WeChat.Simulator;
using WeChat.Simulator.Callbacks;

namespace WeChat.IntegrationTests.Simulator;

/// <summary>The simulator follows the platform's rules, over real HTTP: tokens, windows, quotas.</summary>
public sealed class SimulatorBehaviourTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly SimulatedAccountOptions _account = TestAccounts.Create("sim");
    private RunningSimulator _simulator = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _simulator = await SimulatorHost.StartAsync(new SimulatorOptions { Accounts = [_account] }, _time);
        _http = new HttpClient { BaseAddress = _simulator.BaseAddress };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _simulator.DisposeAsync();
    }

    [Fact]
    public async Task Stable_token_is_the_same_while_valid_and_rolls_over_in_its_last_five_minutes()
    {
        var first = await StableTokenAsync();
        _time.Advance(TimeSpan.FromSeconds(3600));
        var same = await StableTokenAsync();
        Assert.Equal(first["access_token"]!.GetValue<string>(), same["access_token"]!.GetValue<string>());
        Assert.Equal(3600, same["expires_in"]!.GetValue<int>());

        _time.Advance(TimeSpan.FromSeconds(3600 - 200));
        var rolled = await StableTokenAsync();
        Assert.NotEqual(first["access_token"]!.GetValue<string>(), rolled["access_token"]!.GetValue<string>());
        Assert.Equal(7200, rolled["expires_in"]!.GetValue<int>());

        // The old one keeps working until its own expiry, then is "expired" (42001).
        Assert.Equal(0, await ErrorCodeWithTokenAsync(first["access_token"]!.GetValue<string>()));
        _time.Advance(TimeSpan.FromSeconds(201));
        Assert.Equal(42001, await ErrorCodeWithTokenAsync(first["access_token"]!.GetValue<string>()));
        Assert.Equal(0, await ErrorCodeWithTokenAsync(rolled["access_token"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Force_refresh_kills_the_old_stable_token_at_once_and_is_rate_limited()
    {
        var first = (await StableTokenAsync())["access_token"]!.GetValue<string>();

        var forced = await StableTokenAsync(force: true);
        Assert.Equal(40001, await ErrorCodeWithTokenAsync(first));
        Assert.Equal(0, await ErrorCodeWithTokenAsync(forced["access_token"]!.GetValue<string>()));

        var tooSoon = await StableTokenAsync(force: true);
        Assert.Equal(45011, tooSoon["errcode"]!.GetValue<int>());
    }

    [Fact]
    public async Task Classic_token_invalidates_the_previous_one_after_the_overlap()
    {
        var first = await ClassicTokenAsync();
        var second = await ClassicTokenAsync();

        Assert.Equal(0, await ErrorCodeWithTokenAsync(first));
        _time.Advance(TimeSpan.FromSeconds(301));
        Assert.Equal(40001, await ErrorCodeWithTokenAsync(first));
        Assert.Equal(0, await ErrorCodeWithTokenAsync(second));
    }

    [Fact]
    public async Task Stable_and_classic_tokens_are_independent()
    {
        var stable = (await StableTokenAsync())["access_token"]!.GetValue<string>();
        await ClassicTokenAsync();
        await ClassicTokenAsync();
        _time.Advance(TimeSpan.FromSeconds(400));

        Assert.Equal(0, await ErrorCodeWithTokenAsync(stable));
    }

    [Fact]
    public async Task Wrong_secret_unknown_token_and_missing_token_get_their_errcodes()
    {
        var wrongSecret = await (await _http.PostAsJsonAsync("cgi-bin/stable_token", new { grant_type = "client_credential", appid = _account.AppId, secret = "nope" })).Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal(40125, wrongSecret!["errcode"]!.GetValue<int>());
        Assert.Equal(40001, await ErrorCodeWithTokenAsync("made-up-token"));
        Assert.Equal(41001, await ErrorCodeWithTokenAsync(string.Empty));
    }

    [Fact]
    public async Task Revocation_kills_the_current_token()
    {
        var token = (await StableTokenAsync())["access_token"]!.GetValue<string>();

        (await _http.PostAsync($"_sim/accounts/{_account.AppId}/revoke-token", null)).EnsureSuccessStatusCode();

        Assert.Equal(40001, await ErrorCodeWithTokenAsync(token));
        Assert.NotEqual(token, (await StableTokenAsync())["access_token"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_message_opens_a_48_hour_window_of_five_replies()
    {
        var token = (await StableTokenAsync())["access_token"]!.GetValue<string>();
        const string follower = "oWindowFollower000000000001";
        Assert.Equal(45015, await SendTextAsync(token, follower));

        Interact(Push.Text(_account.OriginalId, follower, 1, "hi"));
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(0, await SendTextAsync(token, follower));
        }

        Assert.Equal(45047, await SendTextAsync(token, follower));

        Interact(Push.Text(_account.OriginalId, follower, 2, "again"));
        Assert.Equal(0, await SendTextAsync(token, follower));
        _time.Advance(TimeSpan.FromHours(48) + TimeSpan.FromSeconds(1));
        token = (await StableTokenAsync())["access_token"]!.GetValue<string>();
        Assert.Equal(45015, await SendTextAsync(token, follower));
    }

    [Fact]
    public async Task A_menu_click_opens_a_one_minute_window_of_three_replies_and_unfollowing_closes_it()
    {
        var token = (await StableTokenAsync())["access_token"]!.GetValue<string>();
        const string follower = "oWindowFollower000000000002";

        Interact(Push.Click(_account.OriginalId, follower, 1, "MENU"));
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(0, await SendTextAsync(token, follower));
        }

        Assert.Equal(45047, await SendTextAsync(token, follower));
        Interact(Push.Subscribe(_account.OriginalId, follower, 2));
        Assert.Equal(0, await SendTextAsync(token, follower));
        _time.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal(45015, await SendTextAsync(token, follower));

        Interact(Push.Text(_account.OriginalId, follower, 3, "back"));
        Interact(Push.Unsubscribe(_account.OriginalId, follower, 4));
        Assert.Equal(45015, await SendTextAsync(token, follower));
    }

    [Fact]
    public async Task Unicode_escapes_in_a_custom_message_body_are_refused_with_40033()
    {
        var token = (await StableTokenAsync())["access_token"]!.GetValue<string>();
        Interact(Push.Text(_account.OriginalId, "oEscapes", 1, "hi"));

        var response = await _http.PostAsync($"cgi-bin/message/custom/send?access_token={token}",
            new StringContent("""{"touser":"oEscapes","msgtype":"text","text":{"content":"\u4F60\u597D"}}"""));

        Assert.Equal(40033, (await response.Content.ReadFromJsonAsync<JsonObject>())!["errcode"]!.GetValue<int>());
    }

    [Fact]
    public async Task Every_call_is_recorded_and_visible_through_the_control_api()
    {
        var token = (await StableTokenAsync())["access_token"]!.GetValue<string>();
        await ErrorCodeWithTokenAsync(token);

        var calls = await _http.GetFromJsonAsync<JsonArray>($"_sim/calls?appId={_account.AppId}&path=getcallbackip");

        Assert.Single(calls!);
    }

    private void Interact(System.Xml.Linq.XElement push) => _simulator.Platform.RecordInteraction(_account.AppId, push);

    [Fact]
    public void A_configuration_it_cannot_honour_stops_it_at_start_naming_each_key()
    {
        var options = new SimulatorOptions
        {
            TokenLifetimeSeconds = 200,
            StableTokenRolloverSeconds = 300,
            Accounts =
            [
                new SimulatedAccountOptions { AppId = "wxbroken", Token = "t", EncodingAESKey = "too-short", CallbackUrl = "localhost:5000/wechat" },
                new SimulatedAccountOptions { AppId = "wxbroken", AppSecret = "s", Token = "t", CallbackMode = CallbackMode.Safe },
            ],
        };

        var failure = Assert.Throws<InvalidOperationException>(() => SimulatorHost.Build([], options, url: "http://127.0.0.1:0"));

        Assert.All(
            [
                "Simulator:StableTokenRolloverSeconds:",
                "Simulator:Accounts:0:AppSecret: is required",
                "Simulator:Accounts:0:EncodingAESKey:",
                "Simulator:Accounts:0:CallbackUrl: 'localhost:5000/wechat' is not an absolute http(s) URL",
                "Simulator:Accounts:1:EncodingAESKey: is required for CallbackMode Safe",
                "Simulator:Accounts: AppId wxbroken is configured 2 times",
            ],
            expected => Assert.Contains(expected, failure.Message, StringComparison.Ordinal));
        Assert.Empty(new SimulatorOptions { Accounts = [_account] }.Problems());
    }

    private async Task<JsonObject> StableTokenAsync(bool force = false)
    {
        var response = await _http.PostAsJsonAsync("cgi-bin/stable_token", new { grant_type = "client_credential", appid = _account.AppId, secret = _account.AppSecret, force_refresh = force });
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    private async Task<string> ClassicTokenAsync()
    {
        var json = await _http.GetFromJsonAsync<JsonObject>($"cgi-bin/token?grant_type=client_credential&appid={_account.AppId}&secret={_account.AppSecret}");
        return json!["access_token"]!.GetValue<string>();
    }

    private async Task<int> ErrorCodeWithTokenAsync(string token)
    {
        var json = await _http.GetFromJsonAsync<JsonObject>($"cgi-bin/getcallbackip?access_token={token}");
        return json!["errcode"]?.GetValue<int>() ?? 0;
    }

    private async Task<int> SendTextAsync(string token, string follower)
    {
        var response = await _http.PostAsJsonAsync($"cgi-bin/message/custom/send?access_token={token}",
            new { touser = follower, msgtype = "text", text = new { content = "ok" } });
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["errcode"]!.GetValue<int>();
    }
}
