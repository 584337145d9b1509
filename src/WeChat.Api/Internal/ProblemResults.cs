using FluentValidation;
using Microsoft.AspNetCore.Diagnostics;
using WeChat.Application.Abstractions.WeChatApi;

namespace WeChat.Api.Internal;

/// <summary>Turns a validation failure anywhere in a request into 400 problem details with the failing fields.</summary>
public sealed class ValidationExceptionHandler : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not ValidationException validation)
        {
            return false;
        }

        var errors = validation.Errors
            .GroupBy(error => JsonName(error.PropertyName))
            .ToDictionary(group => group.Key, group => group.Select(error => error.ErrorMessage).ToArray());
        await TypedResults.ValidationProblem(errors, title: "The request is not valid").ExecuteAsync(httpContext);
        return true;
    }

    /// <summary><c>Rule.Reply</c> → <c>rule.reply</c>, as the JSON the caller sent.</summary>
    private static string JsonName(string propertyPath) =>
        string.Join('.', propertyPath.Split('.').Select(part => part.Length == 0 ? part : char.ToLowerInvariant(part[0]) + part[1..]));
}

/// <summary>What WeChat's answer means for the operator's call.</summary>
public static class WeChatProblems
{
    public static IResult From<T>(WeChatResult<T> result) => TypedResults.Problem(
        statusCode: result.IsTransient ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status502BadGateway,
        title: result.IsTransient ? "WeChat is unavailable, try again" : "WeChat refused the request",
        detail: result.ErrorMessage,
        extensions: new Dictionary<string, object?>
        {
            ["errcode"] = result.ErrorCode,
            ["failure"] = result.Failure.ToString(),
            ["rid"] = result.Rid,
        });
}
