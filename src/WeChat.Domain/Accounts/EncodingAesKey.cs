namespace WeChat.Domain.Accounts;

/// <summary>The console's EncodingAESKey: 43 letters or digits; AESKey = Base64(EncodingAESKey + "=") = 32 bytes.</summary>
public static class EncodingAesKey
{
    public const int Length = 43;

    public static bool TryDecode(string? encodingAesKey, out byte[] key, out string error)
    {
        key = [];
        if (encodingAesKey is null || encodingAesKey.Length != Length)
        {
            error = $"must be exactly {Length} characters (it has {encodingAesKey?.Length ?? 0})";
            return false;
        }

        foreach (var c in encodingAesKey)
        {
            if (!char.IsAsciiLetterOrDigit(c))
            {
                error = "may contain only the characters A-Z, a-z and 0-9";
                return false;
            }
        }

        Span<byte> buffer = stackalloc byte[33];
        if (!Convert.TryFromBase64String(encodingAesKey + "=", buffer, out var written) || written != 32)
        {
            error = "must Base64-decode (with one '=' appended) to exactly 32 bytes";
            return false;
        }

        key = buffer[..32].ToArray();
        error = string.Empty;
        return true;
    }
}
