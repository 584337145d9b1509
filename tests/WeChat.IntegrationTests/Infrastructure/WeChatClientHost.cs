using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using WeChat.Application;
using WeChat.Infrastructure;
using WeChat.Simulator;

namespace WeChat.IntegrationTests.Infrastructure;

/// <summary>
/// The outbound side of the platform in its own DI container, as one process would have it:
/// options, database, shared token store and the resilient API client, pointed at a simulator.
/// Two of these on one database file are two processes sharing tokens.
/// </summary>
public sealed class WeChatClientHost : IAsyncDisposable
{
    private readonly IHost _host;

    private WeChatClientHost(IHost host) => _host = host;

    public IServiceProvider Services => _host.Services;

    public T Get<T>()
        where T : notnull => _host.Services.GetRequiredService<T>();

    public static async Task<WeChatClientHost> StartAsync(
        Uri simulator,
        string databasePath,
        IEnumerable<SimulatedAccountOptions> accounts,
        TimeProvider? time = null,
        IDictionary<string, string?>? extraSettings = null,
        Action<IServiceCollection>? configureServices = null)
    {
        var settings = TestAccounts.Settings(accounts);
        settings["WeChat:ApiBaseUrl"] = simulator.ToString();
        settings["Database:Provider"] = "Sqlite";
        settings["ConnectionStrings:WeChat"] = $"Data Source={databasePath}";
        settings["Messaging:Transport"] = "InMemory";
        foreach (var (key, value) in extraSettings ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Testing", DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddApplication();
        builder.AddInfrastructure();
        builder.Services.UseSqlServerLikeRetries();
        if (time is not null)
        {
            builder.Services.Replace(ServiceDescriptor.Singleton(time));
        }

        configureServices?.Invoke(builder.Services);

        var host = builder.Build();
        await host.StartAsync();
        return new WeChatClientHost(host);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}
