using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using WeChat.Application.Abstractions;
using WeChat.Application.Abstractions.WeChatApi;
using WeChat.Domain.Credentials;
using WeChat.Infrastructure.Persistence;
using WeChat.Infrastructure.WeChatApi.Credentials;
using WeChat.IntegrationTests.Infrastructure;
using WeChat.Simulator;

namespace WeChat.IntegrationTests.WeChatApi;

/// <summary>
/// Two independent client instances (two DI containers, one database file) call the simulator under
/// concurrent load: one stable_token fetch per expiry period, no 40001 caused by our own refreshes,
/// and recovery when the platform revokes the token.
/// </summary>
public sealed class TokenSharingTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly SimulatedAccountOptions _account = TestAccounts.Create("tok");
    private readonly TempDatabase _database = new();
    private RunningSimulator _simulator = null!;
    private WeChatClientHost _first = null!;
    private WeChatClientHost _second = null!;

    public async Task InitializeAsync()
    {
        _simulator = await SimulatorHost.StartAsync(new SimulatorOptions { Accounts = [_account] }, _time);
        _first = await WeChatClientHost.StartAsync(_simulator.BaseAddress, _database.Path, [_account], _time);
        _second = await WeChatClientHost.StartAsync(_simulator.BaseAddress, _database.Path, [_account], _time);
    }

    public async Task DisposeAsync()
    {
        await _first.DisposeAsync();
        await _second.DisposeAsync();
        await _simulator.DisposeAsync();
        _database.Dispose();
    }

    [Fact]
    public async Task Two_processes_under_load_share_one_token_per_expiry_period()
    {
        await LoadAsync();
        Assert.Equal(1, _simulator.Platform.Tokens.StableIssued(_account.AppId));

        // Inside the refresh margin (120 s left): one process refreshes ahead of expiry, the other reuses it.
        _time.Advance(TimeSpan.FromSeconds(7200 - 100));
        await LoadAsync();
        Assert.Equal(2, _simulator.Platform.Tokens.StableIssued(_account.AppId));

        // A whole period later, exactly one more.
        _time.Advance(TimeSpan.FromSeconds(7200));
        await LoadAsync();
        Assert.Equal(3, _simulator.Platform.Tokens.StableIssued(_account.AppId));

        Assert.Equal(0, _simulator.Platform.Calls.Count(call => call.ErrorCode is 40001 or 40014 or 42001));
    }

    [Fact]
    public async Task Revoked_token_is_replaced_once_and_every_call_still_succeeds()
    {
        await LoadAsync();
        _simulator.Platform.Tokens.Revoke(_account.AppId);

        await LoadAsync();

        Assert.Equal(2, _simulator.Platform.Tokens.StableIssued(_account.AppId));
        Assert.InRange(_simulator.Platform.Calls.Count(call => call.ErrorCode == 40001), 1, 2 * Workers);
    }

    [Fact]
    public async Task A_refused_token_that_a_concurrent_reader_brings_back_is_not_used_again()
    {
        var tokens = _first.Get<IAccessTokenProvider>();
        var refused = await tokens.GetAsync(_account.AppId, CancellationToken.None);
        _simulator.Platform.Tokens.Revoke(_account.AppId);
        await tokens.InvalidateAsync(_account.AppId, refused.Version, CancellationToken.None);

        // What a reader that loaded the row just before the invalidation reached the database sees.
        await using (var db = await _first.Get<IDbContextFactory<WeChatDbContext>>().CreateDbContextAsync())
        {
            await db.Credentials.Where(c => c.AppId == _account.AppId && c.Version == refused.Version)
                .ExecuteUpdateAsync(set => set.SetProperty(c => c.ExpiresAt, refused.ExpiresAt));
        }

        var next = await tokens.GetAsync(_account.AppId, CancellationToken.None);
        Assert.True(next.Version > refused.Version, $"version {next.Version} after refused {refused.Version}");
        Assert.NotEqual(refused.Value, next.Value);
    }

    [Fact]
    public async Task A_credential_WeChat_issued_is_stored_even_if_the_caller_that_asked_for_it_gave_up()
    {
        const string appId = "wxcallergaveup";
        var cache = new SharedCredentialCache(
            CredentialKind.AccessToken,
            _first.Get<IDbContextFactory<WeChatDbContext>>(),
            _first.Get<IDatabaseErrors>(),
            _first.Get<IDatabaseWriteGate>(),
            _time,
            TimeSpan.FromSeconds(120),
            NullLogger.Instance);
        using var caller = new CancellationTokenSource();

        // The caller (a web request, say) goes away the moment WeChat answers.
        var issued = await cache.GetAsync(appId, _ =>
        {
            caller.Cancel();
            return Task.FromResult(new IssuedCredential("issued-while-leaving", 7200));
        }, caller.Token);

        // Stored for every process, and the refresh lease released: nobody waits for it or fetches again.
        Assert.Equal("issued-while-leaving", issued.Value);
        await using var db = await _first.Get<IDbContextFactory<WeChatDbContext>>().CreateDbContextAsync();
        var row = await db.Credentials.AsNoTracking().SingleAsync(c => c.AppId == appId && c.Kind == CredentialKind.AccessToken);
        Assert.Equal(("issued-while-leaving", null), (row.Value, row.LeaseOwner));
    }

    private const int Workers = 6;

    /// <summary>Both hosts, several concurrent callers each; every call must succeed.</summary>
    private async Task LoadAsync()
    {
        var calls = new[] { _first, _second }
            .SelectMany(host => Enumerable.Range(0, Workers).Select(_ => CallRepeatedlyAsync(host.Get<IWeChatManagementApi>())))
            .ToList();
        await Task.WhenAll(calls);
    }

    private async Task CallRepeatedlyAsync(IWeChatManagementApi api)
    {
        for (var i = 0; i < 10; i++)
        {
            var result = await api.GetCallbackIpsAsync(_account.AppId, CancellationToken.None);
            Assert.True(result.Succeeded, result.ToString());
        }
    }
}
