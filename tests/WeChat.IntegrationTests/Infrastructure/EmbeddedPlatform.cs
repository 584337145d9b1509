using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using WeChat.Infrastructure.Operations;
using WeChat.Infrastructure.Outbox;
using WeChat.Simulator;

namespace WeChat.IntegrationTests.Infrastructure;

/// <summary>
/// The simulator and the API in embedded mode (in-memory transport, consumers and outbox in the
/// same process) on a SQLite file, the simulator's callbacks going straight into the API's test
/// server: the whole pipeline in this process, where a test can reach its services.
/// </summary>
public sealed class EmbeddedPlatform : IAsyncDisposable
{
    private readonly TempDatabase _database = new();

    private EmbeddedPlatform(SimulatedAccountOptions account) => Account = account;

    public SimulatedAccountOptions Account { get; }

    public RunningSimulator Simulator { get; private set; } = null!;

    public WebApplicationFactory<Program> Api { get; private set; } = null!;

    public string DatabaseConnectionString => _database.ConnectionString;

    public static async Task<EmbeddedPlatform> StartAsync(SimulatedAccountOptions account, IDictionary<string, string?> extraSettings, Action<IServiceCollection> configureServices)
    {
        var platform = new EmbeddedPlatform(account);
        var forward = new ForwardingHandler();
        platform.Simulator = await SimulatorHost.StartAsync(new SimulatorOptions { Accounts = [account] }, callbackHandler: forward);
        var settings = TestAccounts.Settings([account]);
        settings["WeChat:ApiBaseUrl"] = platform.Simulator.BaseAddress.ToString();
        settings["Database:Provider"] = "Sqlite";
        settings["ConnectionStrings:WeChat"] = platform._database.ConnectionString;
        settings["Messaging:Transport"] = "InMemory";
        foreach (var (key, value) in extraSettings)
        {
            settings[key] = value;
        }

        platform.Api = new WebApplicationFactory<Program>().WithWebHostBuilder(host =>
        {
            host.UseEnvironment("Testing");
            foreach (var (key, value) in settings)
            {
                host.UseSetting(key, value);
            }

            host.ConfigureServices(configureServices);
        });
        forward.InnerHandler = platform.Api.Server.CreateHandler();
        return platform;
    }

    public async ValueTask DisposeAsync()
    {
        await Api.DisposeAsync();
        await Simulator.DisposeAsync();
        _database.Dispose();
    }

    private sealed class ForwardingHandler : DelegatingHandler;
}

public static class ScheduledWriters
{
    /// <summary>
    /// Takes out what writes on a schedule of its own (the outbox sweeper, the retention janitor): queued
    /// behind a lock a test holds, or committing while a test injects a fault, it would get in the way.
    /// </summary>
    public static IServiceCollection WithoutScheduledWriters(this IServiceCollection services)
    {
        foreach (var scheduled in services.Where(service => service.ImplementationType == typeof(OutboxSweeper) || service.ImplementationType == typeof(RetentionJanitor)).ToList())
        {
            services.Remove(scheduled);
        }

        return services;
    }
}
