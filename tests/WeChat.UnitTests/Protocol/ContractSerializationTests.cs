using System.Text.Json;
using WeChat.Application.Contracts;
using WeChat.Domain.Replies;
using WeChat.Infrastructure.Protocol;

namespace WeChat.UnitTests.Protocol;

/// <summary>The parsed message travels on the bus as JSON; every type must survive the trip.</summary>
public sealed class ContractSerializationTests
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    [Theory]
    [MemberData(nameof(InboundMessageParserTests.Fixtures), MemberType = typeof(InboundMessageParserTests))]
    public void Every_message_type_round_trips_through_the_bus_contract(string fixture, Type expected)
    {
        var xml = InboundMessageParserTests.Fixture(fixture);
        var message = InboundMessageParser.Parse(xml);
        var contract = new InboundMessageReceived("wx1", message.DeduplicationKey, message, xml, DateTimeOffset.UnixEpoch);

        var back = JsonSerializer.Deserialize<InboundMessageReceived>(JsonSerializer.Serialize(contract, Web), Web)!;

        Assert.IsType(expected, back.Message);
        Assert.Equal(message.DeduplicationKey, back.Message.DeduplicationKey);
        Assert.Equal(JsonSerializer.Serialize(message, Web), JsonSerializer.Serialize(back.Message, Web));
    }

    [Fact]
    public void Reply_content_round_trips_with_its_type_discriminator()
    {
        ReplyContent reply = new MessageMenuReply("请选择", [new MessageMenuItem("101", "满意")], "谢谢");

        var json = JsonSerializer.Serialize(reply, Web);

        Assert.Contains("\"type\":\"msgmenu\"", json, StringComparison.Ordinal);
        var back = Assert.IsType<MessageMenuReply>(JsonSerializer.Deserialize<ReplyContent>(json, Web));
        Assert.Equal(("请选择", "谢谢", "101"), (back.HeadContent, back.TailContent, back.Items[0].Id));
    }
}
