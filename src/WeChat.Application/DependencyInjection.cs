using FluentValidation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using WeChat.Application.Common.Observability;
using WeChat.Application.Configuration;
using WeChat.Application.Followers;
using WeChat.Application.Inbound;
using WeChat.Application.Outbox;
using WeChat.Application.Replies;
using WeChat.Application.WebLogin;

namespace WeChat.Application;

public static class DependencyInjection
{
    public static IHostApplicationBuilder AddApplication(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddValidatorsFromAssemblyContaining<WeChatOptionsValidator>(includeInternalTypes: true);
        services.AddValidatedOptions<WeChatOptions, WeChatOptionsValidator>(WeChatOptions.SectionName);
        services.AddValidatedOptions<ConversationOptions, ConversationOptionsValidator>(ConversationOptions.SectionName);
        services.AddValidatedOptions<OutboxOptions, OutboxOptionsValidator>(OutboxOptions.SectionName);
        services.AddValidatedOptions<OAuthOptions, OAuthOptionsValidator>(OAuthOptions.SectionName);

        services.AddSingleton<WeChatMetrics>();
        services.AddScoped<OutboxRecorder>();
        services.AddScoped<OutboxWriter>();
        services.AddScoped<FollowerDirectory>();
        services.AddScoped<ConversationTurn>();
        services.AddSingleton<ReplyRuleCache>();
        services.AddScoped<ReplyRuleMatcher>();
        services.AddSingleton<WebLoginSigner>();
        return builder;
    }

    /// <summary>Binds a section and validates it at start-up with a FluentValidation validator, naming failing keys.</summary>
    public static IServiceCollection AddValidatedOptions<TOptions, TValidator>(this IServiceCollection services, string sectionName)
        where TOptions : class
        where TValidator : class, IValidator<TOptions>, new()
    {
        services.AddOptions<TOptions>().BindConfiguration(sectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TOptions>>(new OptionsValidator<TOptions>(sectionName, new TValidator()));
        return services;
    }
}
