using WeChat.Infrastructure.Hosting;
using WeChat.Simulator.Chat;

namespace WeChat.Simulator;

/// <summary>
/// Entry point of the simulator process (a named class, so tests can host the API's Program beside it).
/// <code>
/// dotnet run --project tools/WeChat.Simulator                 # fake WeChat on http://localhost:5180
/// dotnet run --project tools/WeChat.Simulator -- chat         # …and chat as a follower in this terminal
/// </code>
/// </summary>
public static class SimulatorProgram
{
    public static async Task<int> Main(string[] args)
    {
        if (await HostCommands.TryRunWithoutHostAsync(args) is { } probed)
        {
            return probed;
        }

        if (args.Length > 0 && args[0] == "chat")
        {
            return await ChatMode.RunAsync(args[1..]);
        }

        var app = SimulatorHost.Build(args);
        await app.RunAsync();
        return 0;
    }
}
