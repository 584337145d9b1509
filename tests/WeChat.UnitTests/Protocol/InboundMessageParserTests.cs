using WeChat.Domain.Messages;
using WeChat.Infrastructure.Protocol;

namespace WeChat.UnitTests.Protocol;

/// <summary>One fixture per message and event type of protocol §2.3–2.4.</summary>
public sealed class InboundMessageParserTests
{
    private const string Follower = "o9AgO5Kd5ggOC-bXrbNODIiE3bGY";

    public static TheoryData<string, Type> Fixtures => new()
    {
        { "text.xml", typeof(TextMessage) },
        { "text-msgmenu-tap.xml", typeof(TextMessage) },
        { "text-from-article.xml", typeof(TextMessage) },
        { "image.xml", typeof(ImageMessage) },
        { "voice.xml", typeof(VoiceMessage) },
        { "video.xml", typeof(VideoMessage) },
        { "shortvideo.xml", typeof(ShortVideoMessage) },
        { "location.xml", typeof(LocationMessage) },
        { "link.xml", typeof(LinkMessage) },
        { "miniprogrampage.xml", typeof(MiniProgramPageMessage) },
        { "unknown-msgtype.xml", typeof(UnknownMessage) },
        { "subscribe.xml", typeof(SubscribeEvent) },
        { "subscribe-qrscene.xml", typeof(SubscribeEvent) },
        { "unsubscribe.xml", typeof(UnsubscribeEvent) },
        { "scan.xml", typeof(ScanEvent) },
        { "location-event.xml", typeof(LocationEvent) },
        { "click.xml", typeof(ClickEvent) },
        { "view.xml", typeof(ViewEvent) },
        { "view-menuid-documented-spelling.xml", typeof(ViewEvent) },
        { "scancode_push.xml", typeof(ScanCodeEvent) },
        { "scancode_waitmsg.xml", typeof(ScanCodeEvent) },
        { "pic_sysphoto.xml", typeof(PictureEvent) },
        { "pic_photo_or_album.xml", typeof(PictureEvent) },
        { "pic_weixin.xml", typeof(PictureEvent) },
        { "location_select.xml", typeof(LocationSelectEvent) },
        { "view_miniprogram.xml", typeof(ViewMiniProgramEvent) },
        { "templatesendjobfinish.xml", typeof(TemplateSendJobFinishEvent) },
        { "templatesendjobfinish-user-block.xml", typeof(TemplateSendJobFinishEvent) },
        { "masssendjobfinish.xml", typeof(MassSendJobFinishEvent) },
        { "publishjobfinish.xml", typeof(PublishJobFinishEvent) },
        { "kf_create_session.xml", typeof(KfCreateSessionEvent) },
        { "kf_close_session.xml", typeof(KfCloseSessionEvent) },
        { "kf_switch_session.xml", typeof(KfSwitchSessionEvent) },
        { "subscribe_msg_popup_event.xml", typeof(SubscribeMessagePopupEvent) },
        { "subscribe_msg_change_event.xml", typeof(SubscribeMessageChangeEvent) },
        { "subscribe_msg_sent_event.xml", typeof(SubscribeMessageSentEvent) },
        { "user_authorization_revoke.xml", typeof(UserAuthorizationRevokeEvent) },
        { "user_info_modified.xml", typeof(UserInfoModifiedEvent) },
        { "card-event-unknown.xml", typeof(UnknownEvent) },
    };

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Every_fixture_maps_to_its_typed_model_with_the_envelope(string fixture, Type expected)
    {
        var message = Parse(fixture);

        Assert.IsType(expected, message);
        Assert.False(string.IsNullOrEmpty(message.ToUserName));
        Assert.False(string.IsNullOrEmpty(message.FromUserName));
        Assert.True(message.CreateTime > 0);
        Assert.False(string.IsNullOrEmpty(message.DeduplicationKey));
    }

    [Fact]
    public void Text_keeps_chinese_content_and_msg_id()
    {
        var text = Assert.IsType<TextMessage>(Parse("text.xml"));

        Assert.Equal("帮助", text.Content);
        Assert.Equal(24536036745396224, text.MsgId);
        Assert.Equal(Follower, text.FromUserName);
        Assert.Equal("gh_97417a04a28d", text.ToUserName);
        Assert.Equal(1714112445, text.CreateTime);
    }

    [Fact]
    public void Msg_ids_beyond_int32_parse_as_64_bit()
    {
        var text = Assert.IsType<TextMessage>(Parse("text-msgmenu-tap.xml"));

        Assert.Equal(long.MaxValue, text.MsgId);
        Assert.Equal("101", text.BizMsgMenuId);
    }

    [Fact]
    public void Article_comment_fields_are_read()
    {
        var text = Assert.IsType<TextMessage>(Parse("text-from-article.xml"));

        Assert.Equal("2247483650", text.MsgDataId);
        Assert.Equal(2, text.Idx);
    }

    [Fact]
    public void Media_messages_keep_their_fields()
    {
        var image = Assert.IsType<ImageMessage>(Parse("image.xml"));
        Assert.Equal("media_id_image", image.MediaId);
        Assert.Equal("http://mmbiz.qpic.cn/example.jpg", image.PicUrl);

        var voice = Assert.IsType<VoiceMessage>(Parse("voice.xml"));
        Assert.Equal(("amr", "腾讯微信团队", "media_id_voice_16k"), (voice.Format, voice.Recognition, voice.MediaId16K));

        var video = Assert.IsType<VideoMessage>(Parse("video.xml"));
        Assert.Equal("thumb_media_id", video.ThumbMediaId);
    }

    [Fact]
    public void Location_message_reads_coordinates_invariantly()
    {
        var location = Assert.IsType<LocationMessage>(Parse("location.xml"));

        Assert.Equal(23.134521, location.Latitude);
        Assert.Equal(113.358803, location.Longitude);
        Assert.Equal(20, location.Scale);
        Assert.Equal("广州市天河区", location.Label);
    }

    [Fact]
    public void Link_and_mini_program_messages_keep_their_fields()
    {
        Assert.Equal("https://mp.weixin.qq.com/", Assert.IsType<LinkMessage>(Parse("link.xml")).Url);
        var card = Assert.IsType<MiniProgramPageMessage>(Parse("miniprogrampage.xml"));
        Assert.Equal(("wxabcdef0123456789", "pages/index?x=1"), (card.AppId, card.PagePath));
    }

    [Fact]
    public void Unknown_msg_type_is_kept_as_a_generic_message_with_all_fields()
    {
        var unknown = Assert.IsType<UnknownMessage>(Parse("unknown-msgtype.xml"));

        Assert.Equal("hologram", unknown.MsgType);
        Assert.Equal("from the future", unknown.Fields["Note"]);
        Assert.Equal("<Angle>45</Angle>", unknown.Fields["Projection"]);
        Assert.StartsWith("raw|", unknown.DeduplicationKey, StringComparison.Ordinal);
    }

    [Fact]
    public void Subscribe_with_qr_scene_strips_the_prefix()
    {
        var plain = Assert.IsType<SubscribeEvent>(Parse("subscribe.xml"));
        var scanned = Assert.IsType<SubscribeEvent>(Parse("subscribe-qrscene.xml"));

        Assert.Null(plain.QrScene);
        Assert.Equal("123123", scanned.QrScene);
        Assert.Equal("qrscene_123123", scanned.EventKey);
        Assert.Equal("TICKET", scanned.Ticket);
    }

    [Fact]
    public void Event_names_are_matched_case_insensitively_and_kept_as_sent()
    {
        var scan = Assert.IsType<ScanEvent>(Parse("scan.xml"));

        Assert.Equal("SCAN", scan.Event);
        Assert.Equal("SCENE_VALUE", scan.EventKey);
    }

    [Fact]
    public void Location_event_reads_precision()
    {
        var location = Assert.IsType<LocationEvent>(Parse("location-event.xml"));

        Assert.Equal((23.137466, 113.352425, 119.385040), (location.Latitude, location.Longitude, location.Precision!.Value));
    }

    [Fact]
    public void View_menu_id_is_read_in_both_spellings()
    {
        Assert.Equal("208379533", Assert.IsType<ViewEvent>(Parse("view.xml")).MenuId);
        Assert.Equal("208379534", Assert.IsType<ViewEvent>(Parse("view-menuid-documented-spelling.xml")).MenuId);
    }

    [Fact]
    public void Menu_events_read_their_nested_info()
    {
        var scan = Assert.IsType<ScanCodeEvent>(Parse("scancode_waitmsg.xml"));
        Assert.Equal(("qrcode", "2"), (scan.ScanType, scan.ScanResult));

        var single = Assert.IsType<PictureEvent>(Parse("pic_sysphoto.xml"));
        Assert.Equal(["1b5f7c23b5bf75682a53e7b6d163e185"], single.PictureMd5Sums);

        var album = Assert.IsType<PictureEvent>(Parse("pic_photo_or_album.xml"));
        Assert.Equal(2, album.Count);
        Assert.Equal(2, album.PictureMd5Sums.Count);

        var place = Assert.IsType<LocationSelectEvent>(Parse("location_select.xml"));
        Assert.Equal((23d, 113d, 15), (place.Latitude!.Value, place.Longitude!.Value, place.Scale!.Value));
    }

    [Fact]
    public void Job_finish_events_read_msg_id_with_capital_d()
    {
        var ok = Assert.IsType<TemplateSendJobFinishEvent>(Parse("templatesendjobfinish.xml"));
        Assert.Equal(200163836, ok.MsgId);
        Assert.True(ok.Succeeded);

        var blocked = Assert.IsType<TemplateSendJobFinishEvent>(Parse("templatesendjobfinish-user-block.xml"));
        Assert.True(blocked.BlockedByUser);
        Assert.False(blocked.Succeeded);

        var mass = Assert.IsType<MassSendJobFinishEvent>(Parse("masssendjobfinish.xml"));
        Assert.Equal((1000001625L, "err(30003)", 0), (mass.MsgId, mass.Status, mass.SentCount!.Value));
        Assert.Contains("<CheckState>2</CheckState>", mass.CopyrightCheckResult, StringComparison.Ordinal);
    }

    [Fact]
    public void Job_finish_dedup_keys_include_the_msg_id()
    {
        var first = Parse("templatesendjobfinish.xml");
        var second = InboundMessageParser.Parse(Fixture("templatesendjobfinish.xml").Replace("200163836", "200163837", StringComparison.Ordinal));

        Assert.NotEqual(first.DeduplicationKey, second.DeduplicationKey);
    }

    [Fact]
    public void Publish_job_finish_reads_the_event_info()
    {
        var publish = Assert.IsType<PublishJobFinishEvent>(Parse("publishjobfinish.xml"));

        Assert.Equal(("2247503051", 2), (publish.PublishId, publish.PublishStatus!.Value));
        Assert.Equal([1, 2], publish.FailedIndexes);
    }

    [Fact]
    public void Customer_service_session_events_read_agent_accounts()
    {
        Assert.Equal("test1@test", Assert.IsType<KfCreateSessionEvent>(Parse("kf_create_session.xml")).KfAccount);
        Assert.Equal("test1@test", Assert.IsType<KfCloseSessionEvent>(Parse("kf_close_session.xml")).KfAccount);
        var switched = Assert.IsType<KfSwitchSessionEvent>(Parse("kf_switch_session.xml"));
        Assert.Equal(("test1@test", "test2@test"), (switched.FromKfAccount, switched.ToKfAccount));
    }

    [Fact]
    public void Subscription_message_events_read_every_list_entry()
    {
        var popup = Assert.IsType<SubscribeMessagePopupEvent>(Parse("subscribe_msg_popup_event.xml"));
        Assert.Equal(["accept", "reject"], popup.Items.Select(item => item.SubscribeStatus));

        var change = Assert.IsType<SubscribeMessageChangeEvent>(Parse("subscribe_msg_change_event.xml"));
        Assert.Single(change.Items);

        var sent = Assert.IsType<SubscribeMessageSentEvent>(Parse("subscribe_msg_sent_event.xml"));
        Assert.Equal(1700827132819554304, Assert.Single(sent.Items).MsgId);
    }

    [Fact]
    public void Authorization_events_read_open_id_and_app_id()
    {
        var revoke = Assert.IsType<UserAuthorizationRevokeEvent>(Parse("user_authorization_revoke.xml"));
        Assert.Equal(("wxdemo1234567890", "1"), (revoke.AppId, revoke.RevokeInfo));
        Assert.Equal("otFpruAK8D-E6EfStSYonYSBZ8_4", Assert.IsType<UserInfoModifiedEvent>(Parse("user_info_modified.xml")).OpenId);
    }

    [Fact]
    public void Unknown_events_are_kept_with_their_fields()
    {
        var card = Assert.IsType<UnknownEvent>(Parse("card-event-unknown.xml"));

        Assert.Equal("user_get_card", card.Event);
        Assert.Equal("pZI8Fjwsy5fVPRBeD78J4RmqVvBc", card.Fields["CardId"]);
    }

    [Fact]
    public void Message_dedup_key_is_sender_plus_msg_id_and_event_key_adds_time_event_and_key()
    {
        Assert.Equal($"msg|{Follower}|24536036745396224", Parse("text.xml").DeduplicationKey);
        Assert.Equal($"evt|{Follower}|123456789|click|V1001_TODAY_MUSIC", Parse("click.xml").DeduplicationKey);
    }

    [Fact]
    public void Very_long_event_keys_are_hashed_into_a_bounded_dedup_key()
    {
        var xml = Fixture("view.xml").Replace("https://www.example.com/", "https://www.example.com/" + new string('p', 900), StringComparison.Ordinal);

        var key = InboundMessageParser.Parse(xml).DeduplicationKey;

        Assert.Equal(DeduplicationKeys.MaxLength, key.Length);
    }

    [Fact]
    public void Control_characters_pasted_by_followers_are_stripped_before_parsing()
    {
        var xml = Fixture("text.xml").Replace("帮助", "he\u0002llo\u0010\u0000 world\u001F", StringComparison.Ordinal);

        var text = Assert.IsType<TextMessage>(InboundMessageParser.Parse(xml));

        Assert.Equal("hello world", text.Content);
    }

    [Fact]
    public void Emoji_surrogate_pairs_survive_sanitising()
    {
        var xml = Fixture("text.xml").Replace("帮助", "👍\u0001ok", StringComparison.Ordinal);

        Assert.Equal("👍ok", Assert.IsType<TextMessage>(InboundMessageParser.Parse(xml)).Content);
    }

    [Fact]
    public void Cdata_terminator_inside_content_is_read_from_split_sections()
    {
        const string xml = "<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[o1]]></FromUserName><CreateTime>1</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[a]]]]><![CDATA[>b]]></Content><MsgId>1</MsgId></xml>";

        Assert.Equal("a]]>b", Assert.IsType<TextMessage>(InboundMessageParser.Parse(xml)).Content);
    }

    [Theory]
    [InlineData("<!DOCTYPE xml [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]><xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>&xxe;</Content><MsgId>1</MsgId></xml>")]
    [InlineData("<xml><ToUserName>a</ToUserName>")]
    [InlineData("not xml")]
    [InlineData("<root><MsgType>text</MsgType></root>")]
    [InlineData("<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime></xml>")]
    [InlineData("<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>soon</CreateTime><MsgType>text</MsgType><Content>x</Content><MsgId>1</MsgId></xml>")]
    [InlineData("<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>x</Content><MsgId>99999999999999999999</MsgId></xml>")]
    public void Unsafe_or_malformed_documents_are_refused(string xml)
    {
        Assert.Throws<InboundXmlException>(() => InboundMessageParser.Parse(xml));
    }

    internal static string Fixture(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "Callbacks", name));

    private static InboundMessage Parse(string fixture) => InboundMessageParser.Parse(Fixture(fixture));
}
