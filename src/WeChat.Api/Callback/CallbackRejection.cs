namespace WeChat.Api.Callback;

/// <summary>Why a callback was refused. Each value maps to one status code and appears in logs and metrics.</summary>
public enum CallbackRejection
{
    UnknownAppId,
    MissingSignature,
    InvalidSignature,
    TimestampOutOfTolerance,
    PlaintextNotAllowed,
    EncryptionNotConfigured,
    BodyTooLarge,
    MalformedXml,
    MalformedCiphertext,
    CiphertextForAnotherAppId,
    MissingEchostr,
}

public static class CallbackRejectionExtensions
{
    public static int StatusCode(this CallbackRejection rejection) => rejection switch
    {
        CallbackRejection.UnknownAppId => StatusCodes.Status404NotFound,
        CallbackRejection.MissingSignature
            or CallbackRejection.InvalidSignature
            or CallbackRejection.TimestampOutOfTolerance
            or CallbackRejection.PlaintextNotAllowed => StatusCodes.Status403Forbidden,
        CallbackRejection.BodyTooLarge => StatusCodes.Status413PayloadTooLarge,
        _ => StatusCodes.Status400BadRequest,
    };

    /// <summary>Short text for the response body and the log; never contains secrets.</summary>
    public static string Describe(this CallbackRejection rejection) => rejection switch
    {
        CallbackRejection.UnknownAppId => "unknown appId",
        CallbackRejection.MissingSignature => "missing signature, timestamp or nonce",
        CallbackRejection.InvalidSignature => "invalid signature",
        CallbackRejection.TimestampOutOfTolerance => "timestamp outside the allowed clock difference",
        CallbackRejection.PlaintextNotAllowed => "this account accepts encrypted (safe mode) callbacks only",
        CallbackRejection.EncryptionNotConfigured => "encrypted callback but no EncodingAESKey is configured for this account",
        CallbackRejection.BodyTooLarge => "body too large",
        CallbackRejection.MalformedXml => "malformed XML",
        CallbackRejection.MalformedCiphertext => "malformed ciphertext",
        CallbackRejection.CiphertextForAnotherAppId => "ciphertext is addressed to another AppId",
        CallbackRejection.MissingEchostr => "missing echostr",
        _ => rejection.ToString(),
    };
}
