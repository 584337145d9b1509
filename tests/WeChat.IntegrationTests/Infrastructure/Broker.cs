using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using RabbitMQ.Client;

namespace WeChat.IntegrationTests.Infrastructure;

/// <summary>The local RabbitMQ the tests run against (started by scripts/test.sh); it can be stopped and started.</summary>
public static class Broker
{
    public const string ConnectionString = "amqp://guest:guest@localhost:5672/";

    public static bool IsListening()
    {
        try
        {
            using var client = new TcpClient();
            client.Connect("127.0.0.1", 5672);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>Removes a test's queue with its error and skipped queues and their exchanges, so runs leave nothing behind.</summary>
    public static async Task DeleteQueueAsync(string queue)
    {
        var factory = new ConnectionFactory { Uri = new Uri(ConnectionString) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        foreach (var name in new[] { queue, queue + "_error", queue + "_skipped" })
        {
            await channel.QueueDeleteAsync(name);
            await channel.ExchangeDeleteAsync(name);
        }
    }

    /// <summary>A queue's type and message count as the broker reports them, or null if it does not exist.</summary>
    public static (string Type, int Messages)? Queue(string queue)
    {
        using var process = Process.Start(new ProcessStartInfo("rabbitmqctl", ["list_queues", "-q", "name", "type", "messages"]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var columns = process.StandardOutput.ReadToEnd().Split('\n').Select(line => line.Trim().Split('\t')).FirstOrDefault(line => line[0] == queue);
        process.WaitForExit();
        return columns is [_, var type, var messages] ? (type, int.Parse(messages, CultureInfo.InvariantCulture)) : null;
    }

    /// <summary>Removes only the queue: its exchange stays, so what is sent there is returned as unroutable.</summary>
    public static async Task DeleteOnlyQueueAsync(string queue)
    {
        var factory = new ConnectionFactory { Uri = new Uri(ConnectionString) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.QueueDeleteAsync(queue);
    }

    /// <summary>Ready and unacknowledged messages of a test's queue and its error queue, for failure reports.</summary>
    public static string QueueDepths(string queue) =>
        string.Join("; ", ListQueues().Where(line => line.StartsWith(queue, StringComparison.Ordinal)).Select(line => line.Trim().Replace('\t', ' ')));

    /// <summary>Messages ready and unacknowledged in exactly this queue.</summary>
    public static (int Ready, int Unacknowledged) Counts(string queue)
    {
        var columns = ListQueues().Select(line => line.Trim().Split('\t')).FirstOrDefault(row => row[0] == queue)
            ?? throw new InvalidOperationException($"RabbitMQ has no queue {queue}.");
        return (int.Parse(columns[1], CultureInfo.InvariantCulture), int.Parse(columns[2], CultureInfo.InvariantCulture));
    }

    private static string[] ListQueues()
    {
        using var process = Process.Start(new ProcessStartInfo("rabbitmqctl", ["list_queues", "-q", "name", "messages_ready", "messages_unacknowledged"]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var lines = process.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        process.WaitForExit();
        return lines;
    }

    /// <summary>Stops the broker application (connections drop, the port closes) but keeps its node, so it comes back fast.</summary>
    public static Task StopAsync() => RabbitMqCtlAsync("stop_app");

    public static async Task StartAsync()
    {
        await RabbitMqCtlAsync("start_app");
        await RabbitMqCtlAsync("await_startup");
        var deadline = DateTimeOffset.UtcNow.AddSeconds(60);
        while (!IsListening() && DateTimeOffset.UtcNow < deadline)
        {
            await Task.Delay(200);
        }
    }

    private static async Task RabbitMqCtlAsync(string command)
    {
        using var process = Process.Start(new ProcessStartInfo("rabbitmqctl", command) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"rabbitmqctl {command} failed: {await process.StandardError.ReadToEndAsync()}");
        }
    }
}
