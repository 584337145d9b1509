using FluentValidation;
using Mediator;

namespace WeChat.Application.Common.Behaviours;

/// <summary>Runs every FluentValidation validator of the command before its handler; a failure never reaches the database.</summary>
public sealed class ValidationBehaviour<TMessage, TResponse>(IEnumerable<IValidator<TMessage>> validators)
    : IPipelineBehavior<TMessage, TResponse>
    where TMessage : notnull, IMessage
{
    public async ValueTask<TResponse> Handle(TMessage message, MessageHandlerDelegate<TMessage, TResponse> next, CancellationToken cancellationToken)
    {
        var failures = validators
            .Select(validator => validator.Validate(message))
            .SelectMany(result => result.Errors)
            .ToList();
        if (failures.Count > 0)
        {
            throw new ValidationException(failures);
        }

        return await next(message, cancellationToken);
    }
}
