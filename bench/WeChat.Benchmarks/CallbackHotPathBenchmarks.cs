using System.Globalization;
using BenchmarkDotNet.Attributes;
using WeChat.Infrastructure.Protocol;

namespace WeChat.Benchmarks;

/// <summary>The work the callback endpoint does per request before publishing: verify, decrypt, parse.</summary>
[MemoryDiagnoser]
public class CallbackHotPathBenchmarks
{
    private const string Token = "demotoken";
    private const string AppId = "wxdemo1234567890";
    private const string Timestamp = "1714112445";
    private const string Nonce = "1372623149";

    private readonly WeChatMessageCrypto _crypto = new("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", AppId);
    private string _plainXml = string.Empty;
    private string _safeBody = string.Empty;
    private string _encrypted = string.Empty;
    private string _signature = string.Empty;
    private string _msgSignature = string.Empty;

    [GlobalSetup]
    public void Setup()
    {
        _plainXml = string.Create(CultureInfo.InvariantCulture,
            $"<xml><ToUserName><![CDATA[gh_97417a04a28d]]></ToUserName><FromUserName><![CDATA[o9AgO5Kd5ggOC-bXrbNODIiE3bGY]]></FromUserName><CreateTime>{Timestamp}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[帮助]]></Content><MsgId>24536036745396224</MsgId></xml>");
        _encrypted = _crypto.Encrypt(_plainXml);
        _safeBody = $"<xml><ToUserName><![CDATA[gh_97417a04a28d]]></ToUserName><Encrypt><![CDATA[{_encrypted}]]></Encrypt></xml>";
        _signature = WeChatSignature.Compute(Token, Timestamp, Nonce);
        _msgSignature = WeChatSignature.Compute(Token, Timestamp, Nonce, _encrypted);
    }

    [Benchmark]
    public bool VerifySignature() => WeChatSignature.Matches(_signature, Token, Timestamp, Nonce);

    [Benchmark]
    public bool VerifyMsgSignature() => WeChatSignature.Matches(_msgSignature, Token, Timestamp, Nonce, _encrypted);

    [Benchmark]
    public string Decrypt() => _crypto.Decrypt(_encrypted);

    [Benchmark]
    public object ParsePlaintext() => InboundMessageParser.Parse(_plainXml);

    /// <summary>Everything a safe-mode callback costs: envelope, msg_signature, decrypt, parse.</summary>
    [Benchmark(Baseline = true)]
    public object SafeModeEndToEnd()
    {
        var encrypted = CallbackXml.ReadEncrypt(CallbackXml.Load(_safeBody));
        if (!WeChatSignature.Matches(_msgSignature, Token, Timestamp, Nonce, encrypted))
        {
            throw new InvalidOperationException("signature");
        }

        return InboundMessageParser.Parse(_crypto.Decrypt(encrypted));
    }

    /// <summary>Everything a plaintext callback costs: signature, parse.</summary>
    [Benchmark]
    public object PlaintextEndToEnd()
    {
        if (!WeChatSignature.Matches(_signature, Token, Timestamp, Nonce))
        {
            throw new InvalidOperationException("signature");
        }

        return InboundMessageParser.Parse(_plainXml);
    }
}
