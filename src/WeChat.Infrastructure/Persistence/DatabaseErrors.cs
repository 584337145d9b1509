using Microsoft.Data.SqlClient;
using Microsoft.Data.Sqlite;
using WeChat.Application.Abstractions;

namespace WeChat.Infrastructure.Persistence;

/// <summary>The provider's unique-constraint violation, recognised in exactly one place.</summary>
public sealed class DatabaseErrors : IDatabaseErrors
{
    private const int SqliteConstraint = 19;
    private const int SqliteConstraintPrimaryKey = 1555;
    private const int SqliteConstraintUnique = 2067;
    private const int SqlServerDuplicateKeyRow = 2601;
    private const int SqlServerUniqueConstraint = 2627;

    public bool IsUniqueViolation(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case SqliteException sqlite when sqlite.SqliteErrorCode == SqliteConstraint
                    && sqlite.SqliteExtendedErrorCode is SqliteConstraintUnique or SqliteConstraintPrimaryKey:
                case SqlException sqlServer when sqlServer.Number is SqlServerDuplicateKeyRow or SqlServerUniqueConstraint:
                    return true;
            }
        }

        return false;
    }
}
