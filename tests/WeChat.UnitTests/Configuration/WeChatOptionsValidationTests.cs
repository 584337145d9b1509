using Microsoft.Extensions.Options;
using WeChat.Application.Configuration;

namespace WeChat.UnitTests.Configuration;

public sealed class WeChatOptionsValidationTests
{
    private static readonly OptionsValidator<WeChatOptions> Validator = new(WeChatOptions.SectionName, new WeChatOptionsValidator());

    private static WeChatAccountOptions Account(string appId = "wx0000000000000001") => new()
    {
        AppId = appId,
        AppSecret = "secret",
        Token = "token123",
        EncodingAESKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
    };

    [Fact]
    public void A_complete_account_is_valid()
    {
        Assert.True(Validator.Validate(null, new WeChatOptions { Accounts = [Account()] }).Succeeded);
    }

    [Fact]
    public void Short_encoding_aes_key_is_reported_with_its_configuration_key()
    {
        var account = Account();
        account.EncodingAESKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEF";

        var result = Validator.Validate(null, new WeChatOptions { Accounts = [Account("wx2"), account] });

        var failure = Assert.Single(result.Failures!);
        Assert.StartsWith("WeChat:Accounts:1:EncodingAESKey: must be exactly 43 characters (it has 42)", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Duplicate_app_ids_are_rejected_naming_both_entries()
    {
        var result = Validator.Validate(null, new WeChatOptions { Accounts = [Account("wxsame"), Account("wxother"), Account("wxsame")] });

        var failure = Assert.Single(result.Failures!);
        Assert.Contains("WeChat:Accounts:2:AppId", failure, StringComparison.Ordinal);
        Assert.Contains("duplicate AppId 'wxsame'", failure, StringComparison.Ordinal);
        Assert.Contains("WeChat:Accounts:0", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Required_encryption_needs_a_key_and_no_accounts_is_an_error()
    {
        var account = Account();
        account.EncodingAESKey = null;
        account.RequireEncryption = true;

        Assert.Contains(Validator.Validate(null, new WeChatOptions { Accounts = [account] }).Failures!,
            failure => failure.StartsWith("WeChat:Accounts:0:EncodingAESKey: is required when RequireEncryption is true", StringComparison.Ordinal));
        Assert.Contains(Validator.Validate(null, new WeChatOptions()).Failures!,
            failure => failure.StartsWith("WeChat:Accounts:", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("")]
    [InlineData("ab")]
    [InlineData("has space")]
    public void Token_must_be_what_the_console_accepts(string token)
    {
        var account = Account();
        account.Token = token;

        Assert.Contains(Validator.Validate(null, new WeChatOptions { Accounts = [account] }).Failures!,
            failure => failure.StartsWith("WeChat:Accounts:0:Token:", StringComparison.Ordinal));
    }

    [Fact]
    public void Refresh_margin_over_the_stable_token_rollover_window_is_rejected()
    {
        var result = Validator.Validate(null, new WeChatOptions { Accounts = [Account()], TokenRefreshMarginSeconds = 600 });

        Assert.IsType<ValidateOptionsResult>(result);
        Assert.Contains(result.Failures!, failure => failure.StartsWith("WeChat:TokenRefreshMarginSeconds:", StringComparison.Ordinal));
    }
}
