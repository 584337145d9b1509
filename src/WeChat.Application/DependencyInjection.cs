using FluentValidation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using WeChat.Application.Configuration;

namespace WeChat.Application;

public static class DependencyInjection
{
    public static IHostApplicationBuilder AddApplication(this IHostApplicationBuilder builder)
    {
        builder.Services.AddValidatorsFromAssemblyContaining<WeChatOptionsValidator>(includeInternalTypes: true);
        builder.Services.AddValidatedOptions<WeChatOptions, WeChatOptionsValidator>(WeChatOptions.SectionName);
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
