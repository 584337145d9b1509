using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using WeChat.Application.Replies;
using WeChat.IntegrationTests.Infrastructure;
using WeChat.Simulator.Callbacks;
using WeChat.Simulator.Chat;
using WeChat.Simulator.Platform;

namespace WeChat.IntegrationTests.Simulator;

/// <summary>Chat mode attached to a simulator that already runs (how the README chats with the process stack).</summary>
[Collection(SharedBroker.Name)]
public sealed class ChatAttachTests
{
    [Fact]
    public async Task An_attached_chat_sends_through_the_running_simulator_and_shows_the_replies()
    {
        await using var pipeline = await PipelineHarness.StartAsync();
        const string follower = "oChatAttached01";
        var shown = new ConcurrentQueue<RecordedCall>();

        await using (var chat = await AttachedChatPlatform.ConnectAsync(pipeline.Simulator.BaseAddress, pipeline.Account.AppId, follower, shown.Enqueue))
        {
            Assert.Equal(pipeline.Account.AppId, chat.AppId);
            Assert.Null(await chat.SendAsync(new PushRequest("text", follower, Content: "帮助")));
            await PipelineHarness.WaitUntilAsync(() => !shown.IsEmpty, TimeSpan.FromSeconds(60), "the reply in the chat", pipeline.CallSummary);
            Assert.False(await chat.CloseSessionAsync(follower));
        }

        var reply = Assert.Single(shown);
        Assert.Equal(follower, reply.Json()!["touser"]!.GetValue<string>());
        Assert.Equal(DefaultReplyRules.Help, PipelineHarness.ContentOf(reply));
    }

    [Fact]
    public async Task An_attached_chat_keeps_showing_replies_after_an_answer_it_could_not_read()
    {
        // The call list comes back as an error page twice before it answers properly.
        const string follower = "oChatGarbled01";
        var polls = 0;
        await using var controlApi = await StartControlApiAsync(since => Interlocked.Increment(ref polls) <= 2
            ? Results.Content("<html>upstream hiccup</html>", "text/html")
            : Results.Json(since >= 1 ? [] : new[] { ReplyTo(follower, 1) }));
        var shown = new ConcurrentQueue<RecordedCall>();

        await using (await AttachedChatPlatform.ConnectAsync(ControlApiAddress(controlApi), appId: null, follower, shown.Enqueue))
        {
            await PipelineHarness.WaitUntilAsync(() => !shown.IsEmpty, TimeSpan.FromSeconds(30), "the reply after two unreadable answers", () => $"{polls} poll(s)");
        }

        Assert.Equal(follower, Assert.Single(shown).Json()!["touser"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_attached_chat_goes_on_after_a_reply_it_could_not_show()
    {
        const string follower = "oChatUnshowable01";
        await using var controlApi = await StartControlApiAsync(since => Results.Json(since switch
        {
            < 1 => new[] { ReplyTo(follower, 1) },
            1 => [ReplyTo(follower, 2)],
            _ => [],
        }));
        var shown = new ConcurrentQueue<RecordedCall>();

        await using (await AttachedChatPlatform.ConnectAsync(ControlApiAddress(controlApi), appId: null, follower, call =>
        {
            if (call.Sequence == 1)
            {
                throw new FormatException("a reply of a shape the console does not know");
            }

            shown.Enqueue(call);
        }))
        {
            await PipelineHarness.WaitUntilAsync(() => !shown.IsEmpty, TimeSpan.FromSeconds(30), "the reply after the one that could not be shown");
        }

        Assert.Equal(2, Assert.Single(shown).Sequence);
    }

    /// <summary>A stand-in for the simulator's control API whose call list (given the caller's since) the test decides.</summary>
    private static async Task<WebApplication> StartControlApiAsync(Func<long, IResult> calls)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapGet("/_sim/accounts", () => Results.Json(new[] { new { appId = "wxcontrol", callbackUrl = "http://127.0.0.1:9/" } }));
        app.MapGet("/_sim/calls/sequence", () => Results.Json(new { sequence = 0 }));
        app.MapGet("/_sim/calls", (long since) => calls(since));
        await app.StartAsync();
        return app;
    }

    private static Uri ControlApiAddress(WebApplication app) => new(app.Urls.Single() + "/");

    private static RecordedCall ReplyTo(string follower, long sequence) =>
        new(sequence, DateTimeOffset.UtcNow, "POST", "/cgi-bin/message/custom/send", "wxcontrol", string.Empty, $$"""{"touser":"{{follower}}"}""", 200, 0, true);

    [Fact]
    public async Task Attaching_to_an_address_where_no_simulator_runs_says_so()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            AttachedChatPlatform.ConnectAsync(new Uri("http://127.0.0.1:9/"), appId: null, "oNobody", _ => { }));

        Assert.Contains("No simulator answers", error.Message, StringComparison.Ordinal);
    }
}
