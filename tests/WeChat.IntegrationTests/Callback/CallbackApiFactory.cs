using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using WeChat.Application.Abstractions;
using WeChat.IntegrationTests.Infrastructure;
using WeChat.Simulator.Callbacks;

namespace WeChat.IntegrationTests.Callback;

/// <summary>The API with three accounts (plaintext-capable, safe-only, no AES key) and a recording publishing port.</summary>
public sealed class CallbackApiFactory : WebApplicationFactory<Program>
{
    public static readonly CallbackCredentials Plain = new("wxplain0000000001", "plaintoken", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG");
    public static readonly CallbackCredentials SafeOnly = new("wxsafe00000000001", "safetoken", "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR");
    public static readonly CallbackCredentials NoAesKey = new("wxnoaes0000000001", "noaestoken", null);

    private readonly TempDatabase _database = new();

    public RecordingPublisher Publisher { get; } = new();

    public int ToleranceSeconds { get; init; } = 300;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("Messaging:Transport", "InMemory");
        builder.UseSetting("Database:Provider", "Sqlite");
        builder.UseSetting("ConnectionStrings:WeChat", $"Data Source={_database.Path}");
        builder.UseSetting("WeChat:TimestampToleranceSeconds", ToleranceSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Account(builder, 0, Plain, requireEncryption: false);
        Account(builder, 1, SafeOnly, requireEncryption: true);
        Account(builder, 2, NoAesKey, requireEncryption: false);
        builder.ConfigureServices(services => services.Replace(ServiceDescriptor.Singleton<IInboundMessagePublisher>(Publisher)).UseSqlServerLikeRetries());
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            _database.Dispose();
        }
    }

    private static void Account(IWebHostBuilder builder, int index, CallbackCredentials account, bool requireEncryption)
    {
        var prefix = $"WeChat:Accounts:{index}:";
        builder.UseSetting(prefix + "AppId", account.AppId);
        builder.UseSetting(prefix + "AppSecret", "secret-" + account.AppId);
        builder.UseSetting(prefix + "Token", account.Token);
        builder.UseSetting(prefix + "EncodingAESKey", account.EncodingAesKey);
        builder.UseSetting(prefix + "RequireEncryption", requireEncryption ? "true" : "false");
    }
}
