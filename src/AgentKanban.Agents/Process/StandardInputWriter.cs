namespace AgentKanban.Agents.Process;

/// <summary>
/// The write end of a child's standard input, fed from a queue by one thread of its own. Writes are in order and
/// whole (a line is never interleaved with another); the caller awaits each one without blocking. The descriptor is
/// non-blocking and the thread waits with <c>poll</c> together with a wake-up descriptor, so a child that stops
/// reading can neither stall the caller nor keep the thread from ending: closing (or disposing) always gets through.
/// </summary>
internal sealed class StandardInputWriter : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Queue<(ReadOnlyMemory<byte> Data, TaskCompletionSource<bool> Done)> _queue = new();
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _fd;
    private int _wakeFd;
    private bool _closeRequested;
    private bool _abandon;
    private bool _broken;

    /// <param name="fd">The write end of the pipe (ownership passes to the writer).</param>
    public StandardInputWriter(int fd, int processId)
    {
        _fd = fd;
        _wakeFd = Posix.eventfd(0, Posix.O_CLOEXEC | Posix.O_NONBLOCK);
        if (_wakeFd < 0)
        {
            var error = Posix.LastError;
            Posix.CloseQuietly(ref _fd);
            throw new AgentProcessStartException($"eventfd failed (errno {error})") { ErrorNumber = error };
        }

        var flags = Posix.fcntl(fd, Posix.F_GETFL, 0);
        if (flags >= 0)
        {
            Posix.fcntl(fd, Posix.F_SETFL, flags | Posix.O_NONBLOCK);
        }

        new Thread(Run) { IsBackground = true, Name = $"agent {processId} input" }.Start();
    }

    /// <summary>False once <see cref="Close"/> was called or the child stopped reading (its end of the pipe is closed).</summary>
    public bool IsOpen
    {
        get
        {
            lock (_gate)
            {
                return !_closeRequested && !_broken;
            }
        }
    }

    /// <summary>Completes when the descriptor is closed (everything queued before <see cref="Close"/> was written or failed).</summary>
    public Task Finished => _finished.Task;

    /// <summary>
    /// Queues <paramref name="data"/>; the task completes true once all of it is in the pipe, false when input is
    /// closed or the reader went away. Cancelling the wait does not take the data back: it is written anyway.
    /// </summary>
    public Task<bool> WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_closeRequested || _broken)
            {
                return Task.FromResult(false);
            }

            _queue.Enqueue((data, done));
        }

        Wake();
        return done.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Closes the child's input (end of file) once everything already queued is written. Idempotent.</summary>
    public void Close()
    {
        lock (_gate)
        {
            if (_closeRequested)
            {
                return;
            }

            _closeRequested = true;
        }

        Wake();
    }

    /// <summary>Closes at once: what is still queued is dropped (its writes complete false).</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _closeRequested = true;
            _abandon = true;
        }

        Wake();
    }

    private unsafe void Wake()
    {
        lock (_gate)
        {
            if (_wakeFd < 0)
            {
                return;
            }

            ulong one = 1;
            Posix.write(_wakeFd, (byte*)&one, sizeof(ulong));
        }
    }

    private void Run()
    {
        try
        {
            while (true)
            {
                ReadOnlyMemory<byte> data;
                TaskCompletionSource<bool> done;
                lock (_gate)
                {
                    if (_abandon || _broken || (_closeRequested && _queue.Count == 0))
                    {
                        break;
                    }

                    if (_queue.Count == 0)
                    {
                        data = default;
                        done = null!;
                    }
                    else
                    {
                        (data, done) = _queue.Dequeue();
                    }
                }

                if (done is null)
                {
                    WaitFor(writable: false);
                    continue;
                }

                var ok = WriteAll(data.Span);
                done.TrySetResult(ok);
                if (!ok)
                {
                    lock (_gate)
                    {
                        _broken = true;
                    }
                }
            }
        }
        catch (Exception)
        {
            // A thread boundary: nothing may escape it. The input ends; pending writes are failed below.
        }
        finally
        {
            List<TaskCompletionSource<bool>> dropped;
            lock (_gate)
            {
                _broken = true;
                dropped = [.. _queue.Select(item => item.Done)];
                _queue.Clear();
                Posix.CloseQuietly(ref _fd);
                Posix.CloseQuietly(ref _wakeFd);
            }

            foreach (var done in dropped)
            {
                done.TrySetResult(false);
            }

            _finished.TrySetResult();
        }
    }

    /// <summary>Writes everything unless abandoned or the reader is gone; waits for room with <c>poll</c>.</summary>
    private unsafe bool WriteAll(ReadOnlySpan<byte> data)
    {
        fixed (byte* start = data)
        {
            var offset = 0;
            while (offset < data.Length)
            {
                var n = Posix.write(_fd, start + offset, data.Length - offset);
                if (n >= 0)
                {
                    offset += (int)n;
                    continue;
                }

                var error = Posix.LastError;
                if (error == Posix.EINTR)
                {
                    continue;
                }

                if (error != Posix.EAGAIN)
                {
                    return false; // EPIPE: the child closed its input or exited.
                }

                if (!WaitFor(writable: true))
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>
    /// Waits for a wake-up (and, when <paramref name="writable"/>, for room in the pipe). False when the wait should
    /// give up: the writer was abandoned, or the reader end is gone.
    /// </summary>
    private unsafe bool WaitFor(bool writable)
    {
        var fds = stackalloc Posix.PollFd[2];
        var count = 0;
        fds[count++] = new Posix.PollFd { Fd = _wakeFd, Events = Posix.POLLIN };
        if (writable)
        {
            fds[count++] = new Posix.PollFd { Fd = _fd, Events = Posix.POLLOUT };
        }

        var ready = Posix.poll(fds, (nuint)count, -1);
        if (ready < 0)
        {
            return Posix.LastError == Posix.EINTR;
        }

        if ((fds[0].Revents & Posix.POLLIN) != 0)
        {
            ulong ignored;
            Posix.read(_wakeFd, (byte*)&ignored, sizeof(ulong));
        }

        lock (_gate)
        {
            if (_abandon)
            {
                return false;
            }
        }

        // POLLERR/POLLHUP on the write end: the reader is gone; the next write says EPIPE.
        return true;
    }
}
