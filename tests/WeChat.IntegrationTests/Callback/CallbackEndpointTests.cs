using System.Net;
using System.Text;
using System.Xml.Linq;
using WeChat.Application.Abstractions;
using WeChat.Domain.Messages;
using WeChat.Infrastructure.Protocol;
using WeChat.Simulator.Callbacks;

namespace WeChat.IntegrationTests.Callback;

public sealed class CallbackEndpointTests : IClassFixture<CallbackApiFactory>, IDisposable
{
    private const string Account = "gh_97417a04a28d";
    private readonly CallbackApiFactory _factory;
    private readonly HttpClient _client;

    public CallbackEndpointTests(CallbackApiFactory factory)
    {
        _factory = factory;
        _factory.Publisher.Clear();
        _factory.Publisher.NextOutcome = PublishOutcome.Confirmed;
        _client = factory.CreateClient();
    }

    public void Dispose() => _client.Dispose();

    private static long Now => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    private static XElement TextFrom(string follower, string content = "帮助") => Push.Text(Account, follower, Now, content);

    [Fact]
    public async Task Url_verification_returns_exactly_echostr_as_plain_text()
    {
        var query = SignedCallback.VerificationQuery(CallbackApiFactory.Plain, Now, "4375120948345356249");

        var response = await _client.GetAsync($"/wechat/{CallbackApiFactory.Plain.AppId}?{query}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("4375120948345356249", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Url_verification_works_the_same_for_a_safe_mode_account()
    {
        var query = SignedCallback.VerificationQuery(CallbackApiFactory.SafeOnly, Now, "123");

        var response = await _client.GetAsync($"/wechat/{CallbackApiFactory.SafeOnly.AppId}?{query}");

        Assert.Equal("123", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("signature=0000000000000000000000000000000000000000&timestamp={0}&nonce=1&echostr=42", HttpStatusCode.Forbidden)]
    [InlineData("timestamp={0}&nonce=1&echostr=42", HttpStatusCode.Forbidden)]
    [InlineData("", HttpStatusCode.Forbidden)]
    public async Task Url_verification_with_a_bad_signature_is_forbidden(string queryFormat, HttpStatusCode expected)
    {
        var response = await _client.GetAsync($"/wechat/{CallbackApiFactory.Plain.AppId}?{string.Format(System.Globalization.CultureInfo.InvariantCulture, queryFormat, Now)}");

        Assert.Equal(expected, response.StatusCode);
        Assert.DoesNotContain("42", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Url_verification_for_an_unknown_app_id_is_not_found()
    {
        var query = SignedCallback.VerificationQuery(CallbackApiFactory.Plain, Now, "42");

        var response = await _client.GetAsync($"/wechat/wxunknown?{query}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Url_verification_without_echostr_is_a_bad_request()
    {
        var query = SignedCallback.VerificationQuery(CallbackApiFactory.Plain, Now, "x").Replace("&echostr=x", "", StringComparison.Ordinal);

        var response = await _client.GetAsync($"/wechat/{CallbackApiFactory.Plain.AppId}?{query}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Theory]
    [InlineData(CallbackMode.Plaintext)]
    [InlineData(CallbackMode.Compatible)]
    public async Task Plaintext_and_compatible_mode_messages_are_acknowledged_and_handed_on(CallbackMode mode)
    {
        var xml = TextFrom("o-follower-" + mode, "你好");

        var response = await Post(CallbackApiFactory.Plain, xml, mode);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("success", await response.Content.ReadAsStringAsync());
        Assert.Equal("text/plain", response.Content.Headers.ContentType!.MediaType);
        var published = Assert.Single(_factory.Publisher.Published);
        Assert.Equal(CallbackApiFactory.Plain.AppId, published.AppId);
        var text = Assert.IsType<TextMessage>(published.Message);
        Assert.Equal(("你好", "o-follower-" + mode), (text.Content, text.FromUserName));
        Assert.Equal($"msg|o-follower-{mode}|{text.MsgId}", published.DedupKey);
        Assert.Contains("你好", published.RawXml, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Safe_mode_message_is_decrypted_acknowledged_and_handed_on()
    {
        var response = await Post(CallbackApiFactory.SafeOnly, Push.Subscribe(Account, "o-safe", Now, qrScene: "42"), CallbackMode.Safe);

        Assert.Equal("success", await response.Content.ReadAsStringAsync());
        var subscribe = Assert.IsType<SubscribeEvent>(Assert.Single(_factory.Publisher.Published).Message);
        Assert.Equal("42", subscribe.QrScene);
    }

    [Fact]
    public async Task Unknown_message_types_are_accepted()
    {
        var xml = XElement.Parse($"<xml><ToUserName><![CDATA[{Account}]]></ToUserName><FromUserName><![CDATA[o-x]]></FromUserName><CreateTime>{Now}</CreateTime><MsgType><![CDATA[hologram]]></MsgType></xml>");

        var response = await Post(CallbackApiFactory.Plain, xml, CallbackMode.Plaintext);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.IsType<UnknownMessage>(Assert.Single(_factory.Publisher.Published).Message);
    }

    [Fact]
    public async Task Control_characters_in_the_body_are_stripped_not_rejected()
    {
        var response = await Post(CallbackApiFactory.Plain, TextFrom("o-ctl", "a\u0002b"), CallbackMode.Plaintext);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ab", Assert.IsType<TextMessage>(Assert.Single(_factory.Publisher.Published).Message).Content);
    }

    [Fact]
    public async Task Wrong_signature_is_forbidden_and_nothing_is_handed_on()
    {
        var signed = SignedCallback.Create(CallbackApiFactory.Plain, TextFrom("o-1"), CallbackMode.Plaintext, Now);

        var response = await Send(CallbackApiFactory.Plain.AppId, signed.Query.Replace("signature=", "signature=0", StringComparison.Ordinal)[..^1], signed.Body);

        await AssertRejected(response, HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Signature_made_with_another_token_is_forbidden()
    {
        var impostor = CallbackApiFactory.Plain with { Token = "wrongtoken" };
        var signed = SignedCallback.Create(impostor, TextFrom("o-1"), CallbackMode.Plaintext, Now);

        await AssertRejected(await Send(CallbackApiFactory.Plain.AppId, signed.Query, signed.Body), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Missing_signature_is_forbidden()
    {
        await AssertRejected(await Send(CallbackApiFactory.Plain.AppId, $"timestamp={Now}&nonce=1", TextFrom("o-1").ToString()), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Wrong_msg_signature_in_safe_mode_is_forbidden()
    {
        var signed = SignedCallback.Create(CallbackApiFactory.SafeOnly, TextFrom("o-1"), CallbackMode.Safe, Now);
        var tampered = signed.Query[..^1] + (signed.Query[^1] == '0' ? '1' : '0');

        await AssertRejected(await Send(CallbackApiFactory.SafeOnly.AppId, tampered, signed.Body), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Unknown_app_id_is_not_found()
    {
        var signed = SignedCallback.Create(CallbackApiFactory.Plain, TextFrom("o-1"), CallbackMode.Plaintext, Now);

        await AssertRejected(await Send("wxnobody", signed.Query, signed.Body), HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData(-1000)]
    [InlineData(1000)]
    public async Task Timestamp_outside_the_tolerance_is_forbidden(int offsetSeconds)
    {
        var signed = SignedCallback.Create(CallbackApiFactory.Plain, TextFrom("o-1"), CallbackMode.Plaintext, Now + offsetSeconds);

        await AssertRejected(await Send(CallbackApiFactory.Plain.AppId, signed.Query, signed.Body), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Stale_timestamp_in_safe_mode_is_forbidden()
    {
        var signed = SignedCallback.Create(CallbackApiFactory.SafeOnly, TextFrom("o-1"), CallbackMode.Safe, Now - 3600);

        await AssertRejected(await Send(CallbackApiFactory.SafeOnly.AppId, signed.Query, signed.Body), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Plaintext_request_to_an_account_that_requires_encryption_is_forbidden()
    {
        var signed = SignedCallback.Create(CallbackApiFactory.SafeOnly, TextFrom("o-1"), CallbackMode.Plaintext, Now);

        await AssertRejected(await Send(CallbackApiFactory.SafeOnly.AppId, signed.Query, signed.Body), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Encrypted_request_to_an_account_without_an_aes_key_is_a_bad_request()
    {
        var withKey = CallbackApiFactory.NoAesKey with { EncodingAesKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG" };
        var signed = SignedCallback.Create(withKey, TextFrom("o-1"), CallbackMode.Safe, Now);

        await AssertRejected(await Send(CallbackApiFactory.NoAesKey.AppId, signed.Query, signed.Body), HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("<xml><ToUserName>broken")]
    [InlineData("")]
    [InlineData("<!DOCTYPE xml [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><xml><Content>&x;</Content></xml>")]
    [InlineData("<xml><ToUserName>a</ToUserName><MsgType>text</MsgType></xml>")]
    public async Task Malformed_xml_is_a_bad_request(string body)
    {
        var signed = SignedCallback.Create(CallbackApiFactory.Plain, TextFrom("o-1"), CallbackMode.Plaintext, Now);

        await AssertRejected(await Send(CallbackApiFactory.Plain.AppId, signed.Query, body), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Malformed_ciphertext_is_a_bad_request()
    {
        const string garbage = "bm90IGEgcmVhbCBjaXBoZXJ0ZXh0IGJsb2Nr"; // valid base64, not whole AES blocks
        var timestamp = Now.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var msgSignature = WeChatSignature.Compute(CallbackApiFactory.SafeOnly.Token, timestamp, "7", garbage);
        var query = $"signature={WeChatSignature.Compute(CallbackApiFactory.SafeOnly.Token, timestamp, "7")}&timestamp={timestamp}&nonce=7&encrypt_type=aes&msg_signature={msgSignature}";

        await AssertRejected(await Send(CallbackApiFactory.SafeOnly.AppId, query, $"<xml><ToUserName><![CDATA[{Account}]]></ToUserName><Encrypt><![CDATA[{garbage}]]></Encrypt></xml>"), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Safe_mode_body_without_encrypt_is_a_bad_request()
    {
        var signed = SignedCallback.Create(CallbackApiFactory.SafeOnly, TextFrom("o-1"), CallbackMode.Safe, Now);

        await AssertRejected(await Send(CallbackApiFactory.SafeOnly.AppId, signed.Query, "<xml><ToUserName>a</ToUserName></xml>"), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Ciphertext_encrypted_for_another_app_id_is_a_bad_request()
    {
        // Same token and key, but the trailing receiver id names another account (protocol §5.2 step 5).
        var other = CallbackApiFactory.SafeOnly with { AppId = "wxsomeoneelse0001" };
        var signed = SignedCallback.Create(other, TextFrom("o-1"), CallbackMode.Safe, Now);

        await AssertRejected(await Send(CallbackApiFactory.SafeOnly.AppId, signed.Query, signed.Body), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Body_over_the_limit_is_rejected_with_413()
    {
        var signed = SignedCallback.Create(CallbackApiFactory.Plain, TextFrom("o-1", new string('长', 30_000)), CallbackMode.Plaintext, Now);

        await AssertRejected(await Send(CallbackApiFactory.Plain.AppId, signed.Query, signed.Body), HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task Body_over_the_limit_without_content_length_is_rejected_with_413()
    {
        var signed = SignedCallback.Create(CallbackApiFactory.Plain, TextFrom("o-1", new string('x', 70_000)), CallbackMode.Plaintext, Now);
        using var content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(signed.Body)));
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/wechat/{CallbackApiFactory.Plain.AppId}?{signed.Query}") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        await AssertRejected(await _client.SendAsync(request), HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task When_nothing_can_make_the_message_durable_the_answer_is_503_not_success()
    {
        _factory.Publisher.NextOutcome = PublishOutcome.Unavailable;

        var response = await Post(CallbackApiFactory.Plain, TextFrom("o-1"), CallbackMode.Plaintext);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.NotEqual("success", await response.Content.ReadAsStringAsync());
    }

    private async Task AssertRejected(HttpResponseMessage response, HttpStatusCode expected)
    {
        Assert.Equal(expected, response.StatusCode);
        Assert.NotEqual("success", await response.Content.ReadAsStringAsync());
        Assert.Empty(_factory.Publisher.Published);
    }

    private Task<HttpResponseMessage> Post(CallbackCredentials account, XElement xml, CallbackMode mode)
    {
        var signed = SignedCallback.Create(account, xml, mode, Now);
        return Send(account.AppId, signed.Query, signed.Body);
    }

    private Task<HttpResponseMessage> Send(string appId, string query, string body) =>
        _client.PostAsync($"/wechat/{appId}?{query}", new StringContent(body, Encoding.UTF8, "text/xml"));
}

/// <summary>With <c>WeChat:TimestampToleranceSeconds</c> = 0 the freshness check is off.</summary>
public sealed class CallbackToleranceOffTests : IDisposable
{
    private readonly CallbackApiFactory _factory = new() { ToleranceSeconds = 0 };

    [Fact]
    public async Task A_week_old_timestamp_is_accepted_when_the_check_is_off()
    {
        using var client = _factory.CreateClient();
        var signed = SignedCallback.Create(CallbackApiFactory.Plain, Push.Text("gh_1", "o-old", 1, "hi"), CallbackMode.Plaintext,
            DateTimeOffset.UtcNow.AddDays(-7).ToUnixTimeSeconds());

        var response = await client.PostAsync($"/wechat/{CallbackApiFactory.Plain.AppId}?{signed.Query}", new StringContent(signed.Body));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    public void Dispose() => _factory.Dispose();
}
