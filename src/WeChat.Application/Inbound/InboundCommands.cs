using WeChat.Application.Common.Messaging;
using WeChat.Application.Contracts;
using WeChat.Domain.Messages;

namespace WeChat.Application.Inbound;

/// <summary>Maps an accepted push to the command that handles its type.</summary>
public static class InboundCommands
{
    public static IInboundCommand From(InboundMessageReceived received)
    {
        var message = received.Message;
        var envelope = new InboundEnvelope(
            received.AppId,
            received.DedupKey,
            message.ToUserName,
            message.FromUserName,
            message.MsgType,
            (message as EventMessage)?.Event,
            received.ReceivedAt);

        return message switch
        {
            TextMessage text => new HandleTextMessage(envelope, text.Content, text.BizMsgMenuId),
            // Recognised speech is treated as what the follower said.
            VoiceMessage { Recognition.Length: > 0 } voice => new HandleTextMessage(envelope, voice.Recognition!, null),
            LocationMessage location => new HandleLocationMessage(envelope, location.Latitude, location.Longitude, location.Label),
            UserMessage => new HandleUserMessage(envelope),
            SubscribeEvent subscribe => new HandleSubscribe(envelope, subscribe.QrScene),
            UnsubscribeEvent => new HandleUnsubscribe(envelope),
            ScanEvent scan => new HandleScan(envelope, scan.EventKey),
            LocationEvent report => new HandleLocationReport(envelope, report.Latitude, report.Longitude, report.Precision),
            ClickEvent click => new HandleMenuClick(envelope, click.EventKey),
            ScanCodeEvent scanCode => new HandleMenuClick(envelope, scanCode.EventKey),
            PictureEvent pictures => new HandleMenuClick(envelope, pictures.EventKey),
            LocationSelectEvent place => new HandleMenuClick(envelope, place.EventKey, place.Latitude, place.Longitude),
            ViewEvent or ViewMiniProgramEvent => new HandleMenuView(envelope),
            TemplateSendJobFinishEvent finished => new HandleTemplateSendJobFinish(envelope, finished.MsgId, finished.Succeeded, finished.BlockedByUser, finished.Status),
            KfCreateSessionEvent created => new HandleAgentSessionCreated(envelope, created.KfAccount),
            KfCloseSessionEvent closed => new HandleAgentSessionClosed(envelope, closed.KfAccount),
            KfSwitchSessionEvent switched => new HandleAgentSessionSwitched(envelope, switched.FromKfAccount, switched.ToKfAccount),
            _ => new RecordOtherPush(envelope),
        };
    }
}
