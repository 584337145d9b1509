using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace WeChat.Infrastructure.Protocol;

/// <summary>The callback body is not a WeChat XML document we can read.</summary>
public sealed class InboundXmlException(string reason, Exception? inner = null) : Exception(reason, inner)
{
    public string Reason { get; } = reason;
}

/// <summary>Safe loading of callback XML: no DTD, no resolver, bounded size, invalid characters stripped.</summary>
public static class CallbackXml
{
    private const long MaxCharacters = 1024 * 1024;

    private static readonly XmlReaderSettings SafeSettings = new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        MaxCharactersInDocument = MaxCharacters,
        MaxCharactersFromEntities = 0,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
        CloseInput = true,
    };

    /// <summary>
    /// Removes characters XML 1.0 forbids (U+0000–U+001F except tab, CR, LF; lone surrogates; U+FFFE/U+FFFF).
    /// Followers paste them into chats, and .NET's reader rejects them even with CheckCharacters off.
    /// Returns the same instance when nothing needs removing.
    /// </summary>
    public static string StripInvalidCharacters(string text)
    {
        var firstInvalid = IndexOfInvalid(text, 0);
        if (firstInvalid < 0)
        {
            return text;
        }

        var builder = new StringBuilder(text.Length);
        builder.Append(text, 0, firstInvalid);
        for (var i = firstInvalid; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                builder.Append(c).Append(text[i + 1]);
                i++;
            }
            else if (XmlConvert.IsXmlChar(c))
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    /// <summary>Loads a document whose root must be <c>&lt;xml&gt;</c>.</summary>
    /// <exception cref="InboundXmlException">Not well-formed, has a DTD, or has another root.</exception>
    public static XElement Load(string xml)
    {
        XElement root;
        try
        {
            using var reader = XmlReader.Create(new StringReader(StripInvalidCharacters(xml)), SafeSettings);
            root = XElement.Load(reader, LoadOptions.None);
        }
        catch (XmlException ex)
        {
            throw new InboundXmlException($"malformed XML: {ex.Message}", ex);
        }

        if (root.Name.LocalName != "xml")
        {
            throw new InboundXmlException($"root element is <{root.Name.LocalName}>, expected <xml>");
        }

        return root;
    }

    /// <summary>Reads the <c>Encrypt</c> element of a safe- or compatible-mode body, trimmed (stray whitespace breaks signatures).</summary>
    public static string ReadEncrypt(XElement root)
    {
        var encrypt = root.Element("Encrypt")?.Value.Trim();
        return string.IsNullOrEmpty(encrypt)
            ? throw new InboundXmlException("encrypted callback has no <Encrypt> element")
            : encrypt;
    }

    private static int IndexOfInvalid(string text, int start)
    {
        for (var i = start; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
                continue;
            }

            if (!XmlConvert.IsXmlChar(c))
            {
                return i;
            }
        }

        return -1;
    }
}
