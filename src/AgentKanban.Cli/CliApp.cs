using System.CommandLine;
using AgentKanban.Cli.Parsing;
using AgentKanban.Client;

namespace AgentKanban.Cli;

/// <summary>
/// The whole CLI as a function: arguments in, exit code out, output to the given writers.
/// Exit codes: 0 success, 1 failure (the reason on stderr, never a stack trace), 2 usage error, 130 interrupted.
/// </summary>
public static class CliApp
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int UsageError = 2;
    public const int Interrupted = 130;

    public static async Task<int> RunAsync(
        string[] args,
        TextWriter stdout,
        TextWriter stderr,
        IReadOnlyDictionary<string, string?> env,
        CancellationToken cancellationToken)
    {
        using var context = new CliContext(stdout, stderr, env);
        return await RunAsync(args, context, cancellationToken);
    }

    public static async Task<int> RunAsync(IReadOnlyList<string> args, CliContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(context);
        var outcome = new CliParser().Parse(args);
        switch (outcome)
        {
            case ParseOutcome.BuiltIn builtIn:
                return builtIn.Result.Invoke(new InvocationConfiguration { Output = context.Out, Error = context.Error });
            case ParseOutcome.Usage usage:
                return ReportUsage(context, usage.Errors, usage.CommandPath);
            case ParseOutcome.Run run:
                return await RunCommandAsync(run, context, run.CommandPath, cancellationToken);
            default:
                throw new InvalidOperationException($"unexpected parse outcome {outcome.GetType().Name}");
        }
    }

    private static async Task<int> RunCommandAsync(ParseOutcome.Run run, CliContext context, string path, CancellationToken cancellationToken)
    {
        try
        {
            return await run.Command.RunAsync(context, cancellationToken);
        }
        catch (UsageException e)
        {
            return ReportUsage(context, [e.Message], path);
        }
        catch (CliFailureException e)
        {
            return ReportFailure(context, e.Message, e);
        }
        catch (ServerApiException e)
        {
            // The server's own message, or which server could not be reached.
            return ReportFailure(context, e.Message, e);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            context.Error.WriteLine("interrupted");
            return Interrupted;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException
                                       or System.Text.Json.JsonException or NotSupportedException or FormatException
                                       or System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            return ReportFailure(context, e.Message, e);
        }
        catch (Exception e)
        {
            // The outermost boundary: even a bug ends in one line and exit 1, never a stack trace.
            return ReportFailure(context, $"unexpected {e.GetType().Name}: {e.Message} (set AK_DEBUG=1 for details)", e);
        }
    }

    private static int ReportUsage(CliContext context, IReadOnlyList<string> errors, string path)
    {
        foreach (var error in errors)
        {
            context.Error.WriteLine($"error: {Sentence(error)}");
        }

        context.Error.WriteLine($"Run '{path} --help' for usage.");
        return UsageError;
    }

    private static int ReportFailure(CliContext context, string message, Exception e)
    {
        context.Error.WriteLine($"error: {message}");
        if (context.Env.TryGetValue("AK_DEBUG", out var debug) && debug is "1" or "true")
        {
            context.Error.WriteLine(e.ToString());
        }

        return Failure;
    }

    // System.CommandLine's messages are whole sentences already; only stray whitespace goes.
    private static string Sentence(string message) => message.TrimEnd();
}
