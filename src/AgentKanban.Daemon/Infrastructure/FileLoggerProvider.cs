using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;

namespace AgentKanban.Daemon.Infrastructure;

/// <summary>
/// Writes the daemon's log to <c>logs/daemon.log</c> in the state dir (0600), one line per entry, flushed at once so
/// nothing is lost to a kill -9. Rotates at <see cref="MaxBytes"/>, keeping <see cref="Keep"/> old files.
/// </summary>
public sealed class FileLoggerProvider : ILoggerProvider
{
    public const long MaxBytes = 10 * 1024 * 1024;
    public const int Keep = 3;

    private readonly string _path;
    private readonly TimeProvider _timeProvider;
    private readonly LogLevel _minimum;
    private readonly Lock _lock = new();
    private FileStream? _stream;

    public FileLoggerProvider(string path, TimeProvider timeProvider, LogLevel minimum = LogLevel.Information)
    {
        _path = path;
        _timeProvider = timeProvider;
        _minimum = minimum;
        Open();
    }

    public ILogger CreateLogger(string categoryName) => new FileLogger(this, ShortCategory(categoryName));

    public void Dispose()
    {
        lock (_lock)
        {
            _stream?.Dispose();
            _stream = null;
        }
    }

    private void Open() => _stream = new FileStream(_path, new FileStreamOptions
    {
        Mode = FileMode.Append,
        Access = FileAccess.Write,
        Share = FileShare.ReadWrite,
        UnixCreateMode = SecureFiles.FileMode,
    });

    private void Write(string category, LogLevel level, string message, Exception? exception)
    {
        var line = new StringBuilder(128 + message.Length)
            .Append(_timeProvider.GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture))
            .Append(' ').Append(Level(level)).Append(' ').Append(category).Append(": ").Append(message);
        if (exception is not null)
        {
            line.Append(Environment.NewLine).Append(exception);
        }

        line.Append('\n');
        var bytes = Encoding.UTF8.GetBytes(line.ToString());
        lock (_lock)
        {
            if (_stream is null)
            {
                return;
            }

            try
            {
                // A detached daemon's stdout and stderr append to this file too (through O_APPEND descriptors):
                // start every line at the current end, never at this stream's own idea of it.
                _stream.Seek(0, SeekOrigin.End);
                if (_stream.Length + bytes.Length > MaxBytes)
                {
                    Rotate();
                }

                _stream!.Write(bytes);
                _stream.Flush();
            }
            catch (IOException)
            {
                // A full disk must not take the daemon down with it; the console log (if any) still has it.
            }
        }
    }

    private void Rotate()
    {
        _stream!.Dispose();
        for (var i = Keep - 1; i >= 1; i--)
        {
            var from = $"{_path}.{i}";
            if (File.Exists(from))
            {
                File.Move(from, $"{_path}.{i + 1}", overwrite: true);
            }
        }

        File.Move(_path, _path + ".1", overwrite: true);
        Open();
    }

    private static string Level(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        LogLevel.Critical => "crit",
        _ => "none",
    };

    private static string ShortCategory(string category)
    {
        var dot = category.LastIndexOf('.');
        return dot >= 0 ? category[(dot + 1)..] : category;
    }

    private sealed class FileLogger(FileLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= owner._minimum && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            ArgumentNullException.ThrowIfNull(formatter);
            if (IsEnabled(logLevel))
            {
                owner.Write(category, logLevel, formatter(state, exception), exception);
            }
        }
    }
}
