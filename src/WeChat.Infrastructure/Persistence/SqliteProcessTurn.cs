using System.ComponentModel;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace WeChat.Infrastructure.Persistence;

/// <summary>
/// Turns at writing among the processes that share one SQLite file, so none of them starves. SQLite's
/// own lock is not fair between processes: a writer that finds it taken sleeps up to 100 ms between
/// tries, and a process that commits and begins again within microseconds keeps it, so two busy
/// workers on one file starved each other past SQLite's 30 s busy timeout ("database is locked").
/// Here a waiting process sleeps in the kernel on a lock file beside the database and is woken the
/// moment it is released, and a turnstile — a second lock file, held while waiting — makes a process
/// that has just written queue behind one that was already waiting. Both are flock(2) locks, which
/// the kernel drops with their process: a crash leaves nothing to clean up. Linux only (the system
/// calls are Linux's); elsewhere SQLite's busy handler alone decides. Callers within the process take
/// turns themselves (the write gate), so at most one of them is here at a time.
/// </summary>
internal sealed partial class SqliteProcessTurn : IDisposable
{
    private const int OpenReadOnly = 0;
    private const int OpenCreate = 0x40;
    private const int OpenCloseOnExec = 0x80000; // a worker the process starts must not inherit its locks
    private const int LockExclusive = 2;
    private const int LockNonBlocking = 4;
    private const int Unlocked = 8;
    private const int Interrupted = 4; // EINTR
    private const int WouldBlock = 11; // EWOULDBLOCK

    private readonly SafeFileHandle _writer;
    private readonly SafeFileHandle _turnstile;
    private readonly SemaphoreSlim _waitWanted = new(0);
    // Guards the hand-over of a request to the waiter thread against disposal in between.
    private readonly Lock _handOver = new();
    private TaskCompletionSource? _granted;
    private bool _holdsTurnstile;
    private bool _disposed;

    private SqliteProcessTurn(string databasePath)
    {
        _writer = OpenLockFile(databasePath + "-writer");
        _turnstile = OpenLockFile(databasePath + "-writer-queue");
        new Thread(WaitForTurns) { IsBackground = true, Name = "SQLite process turn" }.Start();
    }

    /// <summary>The turn for <paramref name="databaseFile"/> (a full path), or null for an in-memory database (no other process can share it) or where the platform has no flock.</summary>
    public static SqliteProcessTurn? For(string? databaseFile) =>
        databaseFile is null || !OperatingSystem.IsLinux() ? null : new SqliteProcessTurn(databaseFile);

    /// <summary>
    /// Completes when this process may write. Not cancellable: a wait ends when the writing process's
    /// transaction does, or when that process dies.
    /// </summary>
    public ValueTask EnterAsync()
    {
        try
        {
            _holdsTurnstile = TryLock(_turnstile);
            if (_holdsTurnstile && TryLock(_writer))
            {
                Unlock(_turnstile);
                return ValueTask.CompletedTask;
            }
        }
        catch
        {
            ReleaseBoth();
            throw;
        }

        // Another process writes or waits: the blocking wait runs on a thread of its own, not the pool's.
        var granted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_handOver)
        {
            if (_disposed)
            {
                ReleaseBoth();
                throw new ObjectDisposedException(nameof(SqliteProcessTurn));
            }

            _granted = granted; // the waiter thread takes it
        }

        _waitWanted.Release();
        return new ValueTask(granted.Task);
    }

    /// <summary>Ends this process's turn; after <see cref="Dispose"/> there is nothing left to unlock.</summary>
    public void Leave()
    {
        try
        {
            Unlock(_writer);
        }
        catch (ObjectDisposedException)
        {
            // Closing the lock file dropped the lock.
        }
    }

    /// <summary>
    /// Closes the lock files, which drops their locks. A wait still blocked in the kernel keeps its file
    /// open until it returns; its writer then gets an <see cref="ObjectDisposedException"/>.
    /// </summary>
    public void Dispose()
    {
        lock (_handOver)
        {
            _disposed = true;
        }

        _waitWanted.Release();
        _writer.Dispose();
        _turnstile.Dispose();
    }

    private void WaitForTurns()
    {
        while (true)
        {
            _waitWanted.Wait();
            TaskCompletionSource? granted;
            bool disposed;
            lock (_handOver)
            {
                (granted, _granted, disposed) = (_granted, null, _disposed);
            }

            if (disposed || granted is null)
            {
                granted?.TrySetException(new ObjectDisposedException(nameof(SqliteProcessTurn)));
                return;
            }

            try
            {
                if (!_holdsTurnstile)
                {
                    Lock(_turnstile);
                }

                Lock(_writer);
                Unlock(_turnstile);
                granted.SetResult();
            }
            catch (Exception ex)
            {
                // Never out of this thread: an exception here would end the process.
                ReleaseBoth();
                granted.TrySetException(ex);
            }
        }
    }

    /// <summary>After a failure: whatever this process may hold, it does not keep (errors ignored, the files may be closed).</summary>
    private void ReleaseBoth()
    {
        foreach (var file in (ReadOnlySpan<SafeFileHandle>)[_turnstile, _writer])
        {
            try
            {
                _ = flock(file, Unlocked);
            }
            catch (ObjectDisposedException)
            {
                // Closed: its lock went with it.
            }
        }
    }

    private static SafeFileHandle OpenLockFile(string path)
    {
        // Not File.OpenHandle: .NET takes a shared flock of its own on every file it opens, and fails to
        // open one another process holds exclusively — this very lock.
        var descriptor = open(path, OpenReadOnly | OpenCreate | OpenCloseOnExec, 0b110_100_100 /* rw-r--r-- */);
        return descriptor >= 0
            ? new SafeFileHandle(descriptor, ownsHandle: true)
            : throw new IOException($"Cannot open the SQLite lock file {path}: {new Win32Exception(Marshal.GetLastPInvokeError()).Message}");
    }

    private static bool TryLock(SafeFileHandle file) => Flock(file, LockExclusive | LockNonBlocking);

    private static void Lock(SafeFileHandle file) => Flock(file, LockExclusive);

    private static void Unlock(SafeFileHandle file) => Flock(file, Unlocked);

    /// <returns>False if a non-blocking lock is held elsewhere.</returns>
    private static bool Flock(SafeFileHandle file, int operation)
    {
        while (flock(file, operation) != 0)
        {
            var error = Marshal.GetLastPInvokeError();
            if (error == WouldBlock && (operation & LockNonBlocking) != 0)
            {
                return false;
            }

            if (error != Interrupted)
            {
                throw new Win32Exception(error);
            }
        }

        return true;
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static partial int flock(SafeFileHandle file, int operation);
}
