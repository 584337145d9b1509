using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using WeChat.Application.Abstractions;
using WeChat.Infrastructure.Persistence;
using WeChat.IntegrationTests.Infrastructure;

namespace WeChat.IntegrationTests.Persistence;

/// <summary>
/// Handlers take their scope's context and background work takes contexts from the factory, all from
/// one pool. A context must go back to that pool once per use: returned twice, it is handed to two
/// users at once, and one of them finds it disposed under its feet (seen as "Cannot access a disposed
/// context instance" in handlers under load).
/// </summary>
public sealed class PooledContextTests : IDisposable
{
    private readonly TempDatabase _database = new();
    private readonly IHost _host;

    public PooledContextTests()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = Environments.Production });
        builder.Configuration["Database:Provider"] = "Sqlite";
        builder.Configuration["ConnectionStrings:WeChat"] = _database.ConnectionString;
        builder.AddPersistence();
        builder.Services.AddScoped<RentsWhenScopeEnds>();
        _host = builder.Build();
    }

    public void Dispose()
    {
        _host.Dispose();
        _database.Dispose();
    }

    [Fact]
    public void A_scope_that_took_its_context_under_several_names_returns_it_to_the_pool_once()
    {
        RentsWhenScopeEnds renter;
        using (var scope = _host.Services.CreateScope())
        {
            var asApplication = scope.ServiceProvider.GetRequiredService<IApplicationDbContext>();
            // The container disposes in reverse order of resolution: this one runs between the context's
            // last name and its first, as a handler on another thread can rent between them.
            renter = scope.ServiceProvider.GetRequiredService<RentsWhenScopeEnds>();
            var asContext = scope.ServiceProvider.GetRequiredService<WeChatDbContext>();
            Assert.Same(asApplication, asContext);
        }

        using var rented = renter.Rented!;
        Assert.NotNull(rented.Database.GetConnectionString()); // throws if the scope gave it back a second time

        // Nothing in use is in the pool, and nothing is in it twice.
        var contexts = _host.Services.GetRequiredService<IDbContextFactory<WeChatDbContext>>();
        using var first = contexts.CreateDbContext();
        using var second = contexts.CreateDbContext();
        Assert.Equal(3, new HashSet<WeChatDbContext>([rented, first, second], ReferenceEqualityComparer.Instance).Count);
    }

    /// <summary>Rents a context from the factory while its scope is being disposed.</summary>
    private sealed class RentsWhenScopeEnds(IDbContextFactory<WeChatDbContext> contexts) : IDisposable
    {
        public WeChatDbContext? Rented { get; private set; }

        public void Dispose() => Rented = contexts.CreateDbContext();
    }
}
