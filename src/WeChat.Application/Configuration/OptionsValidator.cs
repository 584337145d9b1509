using System.Text.RegularExpressions;
using FluentValidation;
using Microsoft.Extensions.Options;

namespace WeChat.Application.Configuration;

/// <summary>
/// Runs a FluentValidation validator on an options class at start-up and reports each failure with
/// its configuration key (<c>WeChat:Accounts:0:EncodingAESKey</c>), so an operator knows what to fix.
/// </summary>
public sealed class OptionsValidator<TOptions>(string sectionName, IValidator<TOptions> validator) : IValidateOptions<TOptions>
    where TOptions : class
{
    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        var result = validator.Validate(options);
        if (result.IsValid)
        {
            return ValidateOptionsResult.Success;
        }

        return ValidateOptionsResult.Fail(result.Errors.Select(error =>
            $"{ConfigurationKeys.FromPropertyPath(sectionName, error.PropertyName)}: {error.ErrorMessage}"));
    }
}

public static partial class ConfigurationKeys
{
    /// <summary><c>Accounts[0].Token</c> → <c>WeChat:Accounts:0:Token</c>.</summary>
    public static string FromPropertyPath(string section, string propertyPath)
    {
        var key = IndexPattern().Replace(propertyPath, ":$1").Replace('.', ':');
        return string.IsNullOrEmpty(key) ? section : $"{section}:{key}";
    }

    [GeneratedRegex(@"\[(\d+)\]")]
    private static partial Regex IndexPattern();
}
