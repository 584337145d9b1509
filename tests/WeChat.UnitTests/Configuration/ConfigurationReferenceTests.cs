using System.Collections;
using System.Reflection;
using WeChat.Application.Configuration;

namespace WeChat.UnitTests.Configuration;

/// <summary>docs/configuration.md is checked against the options classes, so the reference cannot drift.</summary>
public sealed class ConfigurationReferenceTests
{
    private static readonly string Reference = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "configuration.md"));

    public static TheoryData<string> Keys()
    {
        var keys = new TheoryData<string>();
        var optionTypes = typeof(WeChatOptions).Assembly.GetTypes()
            .Where(type => type.Namespace == typeof(WeChatOptions).Namespace && type.GetField("SectionName") is { IsLiteral: true });
        foreach (var type in optionTypes)
        {
            foreach (var key in KeysOf(type, (string)type.GetField("SectionName")!.GetRawConstantValue()!))
            {
                keys.Add(key);
            }
        }

        keys.Add("ConnectionStrings:WeChat");
        keys.Add("ConnectionStrings:RabbitMq");
        return keys;
    }

    [Theory]
    [MemberData(nameof(Keys))]
    public void Every_setting_is_documented(string key)
    {
        Assert.True(Reference.Contains($"`{key}`", StringComparison.Ordinal), $"docs/configuration.md does not document `{key}`");
    }

    [Fact]
    public void The_options_classes_are_found()
    {
        Assert.True(Keys().Count > 30);
    }

    private static IEnumerable<string> KeysOf(Type type, string prefix)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
        {
            var key = $"{prefix}:{property.Name}";
            var element = property.PropertyType.IsGenericType && typeof(IEnumerable).IsAssignableFrom(property.PropertyType)
                ? property.PropertyType.GetGenericArguments()[0]
                : null;
            if (element is null)
            {
                yield return key;
            }
            else if (element == typeof(string))
            {
                yield return $"{key}:{{n}}";
            }
            else
            {
                foreach (var nested in KeysOf(element, $"{key}:{{n}}"))
                {
                    yield return nested;
                }
            }
        }
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "WeChat.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Repository root (WeChat.sln) not found.");
    }
}
