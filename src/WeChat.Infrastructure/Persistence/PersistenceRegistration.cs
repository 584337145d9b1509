using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WeChat.Application.Abstractions;
using WeChat.Application.Common.Observability;
using WeChat.Application.Configuration;

namespace WeChat.Infrastructure.Persistence;

public static class PersistenceRegistration
{
    /// <summary>
    /// Registers the provider-specific context as <see cref="WeChatDbContext"/> and
    /// <see cref="IApplicationDbContext"/> (scoped) plus a factory for singletons, and the migrator.
    /// </summary>
    public static IHostApplicationBuilder AddPersistence(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<DatabaseOptions>().BindConfiguration(DatabaseOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<DatabaseOptions>, DatabaseOptionsValidator>();

        var options = builder.Configuration.GetSection(DatabaseOptions.SectionName).Get<DatabaseOptions>() ?? new DatabaseOptions();
        var connectionString = builder.Configuration.GetConnectionString(DatabaseOptions.ConnectionStringName);

        if (options.Provider == DatabaseProvider.Sqlite)
        {
            (connectionString, var databaseFile) = PrepareSqlite(connectionString, builder.Environment.ContentRootPath);
            Register<SqliteWeChatDbContext>(services, db => db.UseSqlite(connectionString).AddInterceptors(new SqlitePragmas()));
            services.AddSingleton<IDatabaseWriteGate>(provider => new SerializedWriteGate(
                provider.GetRequiredService<WeChatMetrics>(), provider.GetRequiredService<TimeProvider>(), SqliteProcessTurn.For(databaseFile)));
            services.AddSingleton<IUnitOfWorkRunner, SqliteGroupCommit>();
        }
        else
        {
            Register<SqlServerWeChatDbContext>(services, db => db.UseSqlServer(connectionString, sql => sql.EnableRetryOnFailure()));
            services.AddSingleton<IDatabaseWriteGate, OpenWriteGate>();
            services.AddSingleton<IUnitOfWorkRunner, TransactionPerUnit>();
        }

        services.AddSingleton<IDatabaseErrors, DatabaseErrors>();
        services.AddSingleton<DatabaseMigrator>();
        services.AddHostedService(provider => provider.GetRequiredService<DatabaseMigrator>());
        return builder;
    }

    private static void Register<TContext>(IServiceCollection services, Action<DbContextOptionsBuilder> provider)
        where TContext : WeChatDbContext
    {
        // A duplicate inbox row is how a WeChat retry is recognised, not an error: EF's own error logs
        // for failed commands go to Debug; the platform logs the failures that matter itself.
        void configure(DbContextOptionsBuilder db) => provider(db.ConfigureWarnings(warnings => warnings.Log(
            (RelationalEventId.CommandError, LogLevel.Debug),
            (CoreEventId.SaveChangesFailed, LogLevel.Debug))));

        // Pooled: every handler, claim and completion takes a context, and building one per use
        // allocates far more than the work it does. The scope's context comes from the same pool, held
        // for the scope by ScopedContext: the container's own Dispose calls would return it to the pool
        // once per name it was resolved by.
        services.AddPooledDbContextFactory<TContext>(configure);
        services.AddScoped<ScopedContext<TContext>>();
        services.AddScoped(provider => provider.GetRequiredService<ScopedContext<TContext>>().Context);
        services.AddScoped<WeChatDbContext>(provider => provider.GetRequiredService<TContext>());
        services.AddScoped<IApplicationDbContext>(provider => provider.GetRequiredService<TContext>());
        services.AddSingleton<IDbContextFactory<WeChatDbContext>, DbContextFactoryAdapter<TContext>>();
    }

    /// <summary>
    /// Defaults to App_Data/wechat.db under the content root; a relative path is taken relative to the
    /// content root (so the API and a worker started from anywhere find the same file); the folder is created.
    /// </summary>
    /// <returns>The connection string, and the database file's full path unless the database is in memory.</returns>
    private static (string ConnectionString, string? DatabaseFile) PrepareSqlite(string? connectionString, string contentRoot)
    {
        var sqlite = new SqliteConnectionStringBuilder(connectionString ?? "Data Source=App_Data/wechat.db");
        if (string.IsNullOrEmpty(sqlite.DataSource) || sqlite.DataSource == ":memory:" || sqlite.Mode == SqliteOpenMode.Memory)
        {
            return (sqlite.ToString(), null);
        }

        sqlite.DataSource = Path.GetFullPath(sqlite.DataSource, contentRoot);
        Directory.CreateDirectory(Path.GetDirectoryName(sqlite.DataSource)!);
        return (sqlite.ToString(), sqlite.DataSource);
    }

    private sealed class DbContextFactoryAdapter<TContext>(IDbContextFactory<TContext> inner) : IDbContextFactory<WeChatDbContext>
        where TContext : WeChatDbContext
    {
        public WeChatDbContext CreateDbContext() => inner.CreateDbContext();
    }
}

/// <summary>Checks the provider and that SQL Server has a connection string, naming the keys.</summary>
internal sealed class DatabaseOptionsValidator(IConfiguration configuration) : IValidateOptions<DatabaseOptions>
{
    public ValidateOptionsResult Validate(string? name, DatabaseOptions options)
    {
        if (!Enum.IsDefined(options.Provider))
        {
            return ValidateOptionsResult.Fail("Database:Provider: must be SqlServer or Sqlite");
        }

        return options.Provider == DatabaseProvider.SqlServer
            && string.IsNullOrWhiteSpace(configuration.GetConnectionString(DatabaseOptions.ConnectionStringName))
            ? ValidateOptionsResult.Fail(
                "ConnectionStrings:WeChat: is required when Database:Provider is SqlServer " +
                "(e.g. Server=sqlserver;Database=WeChat;User Id=sa;Password=...;TrustServerCertificate=True), or set Database:Provider to Sqlite")
            : ValidateOptionsResult.Success;
    }
}
