using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace WeChat.Infrastructure.Protocol;

/// <summary>
/// WeChat's SHA-1 signatures: the parts sorted in ordinal order (Tencent's "字典序" is ordinal,
/// not culture-aware), concatenated, UTF-8, lower-case hex.
/// </summary>
public static class WeChatSignature
{
    public const int HexLength = 40;

    /// <summary>Signature over <paramref name="parts"/> (token, timestamp, nonce[, Encrypt]).</summary>
    public static string Compute(params ReadOnlySpan<string> parts)
    {
        Span<byte> hash = stackalloc byte[SHA1.HashSizeInBytes];
        HashSorted(parts, hash);
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>Constant-time check of a received hex signature (either case) against the parts.</summary>
    public static bool Matches(string? received, params ReadOnlySpan<string> parts)
    {
        if (received is null || received.Length != HexLength)
        {
            return false;
        }

        Span<byte> expected = stackalloc byte[SHA1.HashSizeInBytes];
        HashSorted(parts, expected);

        Span<byte> actual = stackalloc byte[SHA1.HashSizeInBytes];
        if (Convert.FromHexString(received, actual, out _, out var written) != OperationStatus.Done || written != actual.Length)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(expected, actual);
    }

    private static void HashSorted(ReadOnlySpan<string> parts, Span<byte> destination)
    {
        var sorted = parts.ToArray();
        Array.Sort(sorted, StringComparer.Ordinal);

        var byteCount = 0;
        foreach (var part in sorted)
        {
            byteCount += Encoding.UTF8.GetByteCount(part);
        }

        var rented = ArrayPool<byte>.Shared.Rent(byteCount);
        try
        {
            var offset = 0;
            foreach (var part in sorted)
            {
                offset += Encoding.UTF8.GetBytes(part, rented.AsSpan(offset));
            }

#pragma warning disable CA5350 // SHA-1 is what the WeChat protocol specifies; we do not choose it.
            SHA1.HashData(rented.AsSpan(0, byteCount), destination);
#pragma warning restore CA5350
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
