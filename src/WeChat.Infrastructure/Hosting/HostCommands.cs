using Microsoft.Extensions.DependencyInjection;
using WeChat.Infrastructure.Persistence;

namespace WeChat.Infrastructure.Hosting;

/// <summary>
/// Commands the host executables understand besides running:
/// <c>migrate</c> applies the database migrations and exits (the compose file's one-shot step);
/// <c>health-probe</c> asks the running process's <c>/health/live</c> and exits 0 or 1 (the
/// container health check: the runtime image has no curl).
/// </summary>
public static class HostCommands
{
    public const string Migrate = "migrate";
    public const string HealthProbe = "health-probe";

    /// <summary>Runs <c>health-probe</c>, which needs no host; null for anything else.</summary>
    public static async Task<int?> TryRunWithoutHostAsync(string[] args)
    {
        if (args is not [HealthProbe, ..])
        {
            return null;
        }

        var port = Environment.GetEnvironmentVariable("ASPNETCORE_HTTP_PORTS")?.Split(';', ',')[0] ?? "8080";
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
        try
        {
            using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/health/live"));
            return response.IsSuccessStatusCode ? 0 : 1;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return 1;
        }
    }

    /// <summary>Runs <c>migrate</c> with the built host's configuration; null when the host should just run.</summary>
    public static async Task<int?> TryRunAsync(string[] args, IServiceProvider services)
    {
        if (args is not [Migrate, ..])
        {
            return null;
        }

        await services.GetRequiredService<DatabaseMigrator>().MigrateAsync(CancellationToken.None);
        return 0;
    }
}
