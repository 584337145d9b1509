namespace WeChat.Simulator;

/// <summary>Entry point of the simulator process (a named class, so tests can host the API's Program beside it).</summary>
public static class SimulatorProgram
{
    public static async Task<int> Main(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        var app = builder.Build();
        await app.RunAsync();
        return 0;
    }
}
