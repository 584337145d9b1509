using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using WeChat.Application.Abstractions.WeChatApi;
using WeChat.Application.Common.Observability;
using WeChat.Application.Configuration;
using WeChat.Infrastructure.WeChatApi.Credentials;

namespace WeChat.Infrastructure.WeChatApi;

public static class WeChatApiRegistration
{
    public const string HttpClientName = "wechat-api";

    public static IHostApplicationBuilder AddWeChatApi(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddHttpClient(HttpClientName, (provider, http) =>
            {
                var baseUrl = provider.GetRequiredService<IOptions<WeChatOptions>>().Value.ApiBaseUrl;
                http.BaseAddress = new Uri(baseUrl.EndsWith('/') ? baseUrl : baseUrl + "/");
                // Attempt timeouts and retries are the pipeline's; this only bounds a whole call.
                http.Timeout = TimeSpan.FromSeconds(60);
            })
            .AddResilienceHandler("wechat", (pipeline, context) =>
                WeChatResilience.Configure(pipeline, context.ServiceProvider.GetRequiredService<IOptions<WeChatOptions>>().Value, context.InstanceName))
            .SelectPipelineBy(_ => WeChatRequest.PartitionKey);

        services.AddSingleton<AccessTokenProvider>();
        services.AddSingleton<IAccessTokenProvider>(provider =>
        {
            var tokens = provider.GetRequiredService<AccessTokenProvider>();
            var metrics = provider.GetRequiredService<WeChatMetrics>();
            tokens.Cache.Refreshed += metrics.TokenRefreshed;
            return tokens;
        });
        services.AddSingleton<WeChatApiClient>();
        services.AddSingleton<IWeChatMessagingApi, WeChatMessagingApi>();
        services.AddSingleton<IWeChatCustomerServiceApi, WeChatCustomerServiceApi>();
        services.AddSingleton<IWeChatManagementApi, WeChatManagementApi>();
        services.AddSingleton<IWeChatOAuthApi, WeChatOAuthApi>();
        services.AddSingleton<IJsSdkSigner, JsSdkSigner>();
        return builder;
    }
}
