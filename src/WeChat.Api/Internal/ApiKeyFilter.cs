using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using WeChat.Application.Configuration;

namespace WeChat.Api.Internal;

/// <summary>
/// The internal API answers only callers with a configured key in <c>X-Api-Key</c>. Keys are compared
/// as SHA-256 digests in constant time; with no keys configured every call is refused.
/// </summary>
public sealed partial class ApiKeyFilter(IOptions<ApiOptions> options, ILogger<ApiKeyFilter> logger) : IEndpointFilter
{
    public const string HeaderName = "X-Api-Key";

    private readonly byte[][] _keys = options.Value.Keys.Select(Digest).ToArray();

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var presented = context.HttpContext.Request.Headers[HeaderName].ToString();
        if (presented.Length > 0 && _keys.Length > 0)
        {
            var digest = Digest(presented);
            var known = false;
            foreach (var key in _keys)
            {
                known |= CryptographicOperations.FixedTimeEquals(key, digest);
            }

            if (known)
            {
                return await next(context);
            }
        }

        LogRefused(logger, context.HttpContext.Request.Path, presented.Length > 0, _keys.Length > 0);
        return TypedResults.Problem(
            statusCode: StatusCodes.Status401Unauthorized,
            title: "API key required",
            detail: _keys.Length == 0
                ? "The internal API is closed: no Api:Keys are configured."
                : $"Send a valid key in the {HeaderName} header.");
    }

    private static byte[] Digest(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    [LoggerMessage(EventId = 7001, Level = LogLevel.Warning, Message = "Internal API call to {Path} refused (key presented: {Presented}, keys configured: {Configured})")]
    private static partial void LogRefused(ILogger logger, string path, bool presented, bool configured);
}
