using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace AgentKanban.Server.Storage;

/// <summary>How the database failed a read or write.</summary>
public enum StorageFailure
{
    /// <summary>The database did not answer or failed the statement: nothing was changed, the request may be retried.</summary>
    Unavailable,

    /// <summary>A row with the same unique key exists (a concurrent insert won the race).</summary>
    UniqueViolation,

    /// <summary>A referenced row was deleted or changed concurrently.</summary>
    ForeignKeyViolation,
}

/// <summary>
/// A database failure as the layers above storage see it. The engines wrap the driver's exception (SQLite or
/// PostgreSQL) in it at the boundary of <see cref="IStorageEngine.ReadAsync{T}"/> and
/// <see cref="IStorageEngine.WriteAsync{T}"/>, so only this folder knows the drivers' error codes; the original
/// exception is the inner one.
/// </summary>
public sealed class StorageException : Exception
{
    public StorageException(StorageFailure failure, string message, Exception innerException)
        : base(message, innerException)
    {
        Failure = failure;
    }

    public StorageException()
        : this("the database failed")
    {
    }

    public StorageException(string message)
        : base(message)
    {
        Failure = StorageFailure.Unavailable;
    }

    public StorageException(string message, Exception innerException)
        : this(StorageFailure.Unavailable, message, innerException)
    {
    }

    public StorageFailure Failure { get; }

    /// <summary>The driver's exception as a <see cref="StorageException"/>; anything else unchanged.</summary>
    internal static Exception Wrap(Exception exception) =>
        exception is DbException db ? new StorageException(Classify(db), db.Message, db) : exception;

    internal static StorageFailure Classify(DbException exception) => exception switch
    {
        SqliteException { SqliteErrorCode: 19, SqliteExtendedErrorCode: 2067 or 1555 } => StorageFailure.UniqueViolation,
        SqliteException { SqliteErrorCode: 19, SqliteExtendedErrorCode: 787 } => StorageFailure.ForeignKeyViolation,
        PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } => StorageFailure.UniqueViolation,
        PostgresException { SqlState: PostgresErrorCodes.ForeignKeyViolation } => StorageFailure.ForeignKeyViolation,
        _ => StorageFailure.Unavailable,
    };
}
