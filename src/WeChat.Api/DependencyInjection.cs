using WeChat.Api.Callback;

namespace WeChat.Api;

public static class DependencyInjection
{
    public static IHostApplicationBuilder AddApi(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<CallbackProcessor>();
        return builder;
    }
}
