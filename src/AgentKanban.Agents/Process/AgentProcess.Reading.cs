namespace AgentKanban.Agents.Process;

public sealed partial class AgentProcess
{
    private const int ReadChunkBytes = 64 * 1024;

    /// <summary>The output thread: polls stdout, stderr and the wake-up descriptor until both streams end.</summary>
    private unsafe void ReadLoop()
    {
        var buffer = new byte[ReadChunkBytes];
        var splitter = new LineSplitter(_options.MaxLineBytes, line =>
        {
            if (!_output.Write(line, _abandon.Token))
            {
                throw new OperationCanceledException(_abandon.Token);
            }
        });
        var stdoutOpen = true;
        var stderrOpen = true;
        long? drainStart = null;
        var lingerKilled = false;
        var fds = stackalloc Posix.PollFd[3];
        try
        {
            while (stdoutOpen || stderrOpen)
            {
                if (_abandon.IsCancellationRequested)
                {
                    _outputAbandoned = true;
                    break;
                }

                if (_exited && drainStart is null)
                {
                    drainStart = _time.GetTimestamp();
                }

                var timeoutMs = -1;
                if (drainStart is { } started)
                {
                    var limit = lingerKilled ? _options.DrainTimeout + LingerKillWait : _options.DrainTimeout;
                    var elapsed = _time.GetElapsedTime(started);
                    if (elapsed >= limit)
                    {
                        if (!lingerKilled)
                        {
                            // The agent is gone but something it started still holds the pipe: that helper is a leftover.
                            ProcessLog.KilledLingering(_logger, ProcessId, _options.DrainTimeout);
                            SignalGroup(Posix.SIGKILL);
                            lingerKilled = true;
                            continue;
                        }

                        ProcessLog.Abandoned(_logger, ProcessId);
                        _outputAbandoned = true;
                        break;
                    }

                    timeoutMs = (int)Math.Ceiling((limit - elapsed).TotalMilliseconds);
                }

                var count = 0;
                if (stdoutOpen)
                {
                    fds[count++] = new Posix.PollFd { Fd = _stdoutFd, Events = Posix.POLLIN };
                }

                if (stderrOpen)
                {
                    fds[count++] = new Posix.PollFd { Fd = _stderrFd, Events = Posix.POLLIN };
                }

                fds[count++] = new Posix.PollFd { Fd = _wakeFd, Events = Posix.POLLIN };
                var ready = Posix.poll(fds, (nuint)count, timeoutMs);
                if (ready < 0)
                {
                    if (Posix.LastError == Posix.EINTR)
                    {
                        continue;
                    }

                    throw new IOException($"poll failed (errno {Posix.LastError})");
                }

                for (var i = 0; i < count; i++)
                {
                    if (fds[i].Revents == 0)
                    {
                        continue;
                    }

                    var fd = fds[i].Fd;
                    if (fd == _wakeFd)
                    {
                        ulong ignored;
                        Posix.read(_wakeFd, (byte*)&ignored, sizeof(ulong));
                    }
                    else if (fd == _stdoutFd)
                    {
                        if (!ReadOnce(fd, buffer, out var n))
                        {
                            stdoutOpen = false;
                            splitter.Complete();
                        }
                        else if (n > 0)
                        {
                            Interlocked.Exchange(ref _lastOutputTimestamp, _time.GetTimestamp());
                            splitter.Feed(buffer.AsSpan(0, n));
                        }
                    }
                    else if (fd == _stderrFd)
                    {
                        if (!ReadOnce(fd, buffer, out var n))
                        {
                            stderrOpen = false;
                        }
                        else if (n > 0)
                        {
                            _stderr.Append(buffer.AsSpan(0, n));
                        }
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            _outputAbandoned = true;
        }
        catch (Exception ex)
        {
            // A thread boundary: an exception escaping here would take the whole daemon down. Report it, end the stream.
            ProcessLog.ReadFailed(_logger, ProcessId, ex);
            _outputAbandoned = true;
        }
        finally
        {
            if (_exited)
            {
                // Notes an empty group now, so later stops and disposal never signal a reused number.
                _ = GroupExists;
            }

            _output.Complete();
            Posix.CloseQuietly(ref _stdoutFd);
            Posix.CloseQuietly(ref _stderrFd);
            _outputDone.TrySetResult();
        }
    }

    /// <summary>One read; false at end of stream (or on an error that ends it).</summary>
    private static unsafe bool ReadOnce(int fd, byte[] buffer, out int count)
    {
        fixed (byte* start = buffer)
        {
            var n = Posix.read(fd, start, buffer.Length);
            if (n > 0)
            {
                count = (int)n;
                return true;
            }

            count = 0;
            return n < 0 && Posix.LastError is Posix.EINTR or Posix.EAGAIN;
        }
    }
}
