using System.Globalization;
using System.Net;
using AgentKanban.Benchmarks.Server;
using AgentKanban.Contracts;
using Microsoft.Playwright;

namespace AgentKanban.Benchmarks.Web;

/// <summary>
/// Time to first render of the web board (a benchmark, not a test). Run:
/// <c>dotnet run -c Release --project bench/AgentKanban.Benchmarks -- --first-render [--tasks 2000] [--runs 7]
/// [--engine sqlite|postgres] [--pg "Host=…"]</c>.
/// Fills one board with N tasks (labels, assignees, a few in every column), then opens it in headless Debian Chromium
/// through Playwright. Each run is a fresh browser context (empty HTTP cache, signed in through <c>/web/sign-in</c>);
/// the page marks <c>ak-board-drawn</c> (every card in the DOM, stream open) and <c>ak-board-painted</c> (the next frame
/// painted); the times are read from the page's own clock, relative to the start of navigation. A second load in the
/// same context measures a returning visitor (assets revalidated, 304). One unreported warm-up run first.
/// </summary>
public static class FirstRenderHarness
{
    private static readonly string[] Labels = ["backend", "frontend", "docs", "ops"];

    private static readonly string[] ChromiumCandidates = ["/usr/lib/chromium/chromium", "/usr/bin/chromium"];

    public static bool Handles(string[] args) => args is ["--first-render", ..];

    public static async Task<int> RunAsync(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var tasks = IntArg(args, "--tasks", 2000);
        var runs = IntArg(args, "--runs", 7);
        var engine = StringArg(args, "--engine", "sqlite");
        var postgres = StringArg(args, "--pg", Environment.GetEnvironmentVariable("AK_TEST_PG") ?? BenchServer.DefaultPostgres);
        var chromium = Environment.GetEnvironmentVariable("AK_CHROMIUM") is { Length: > 0 } fromEnv ? fromEnv : ChromiumCandidates.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("Chromium is not installed: apt-get install -y chromium (or set AK_CHROMIUM)");

        await using var server = await BenchServer.StartAsync(engine, postgres);
        var tenant = await server.CreateTenantAsync();
        var filled = await FillBoardAsync(server, tenant, tasks);
        var listBytes = await TaskListBytesAsync(server, tenant);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"board with {filled} tasks on {engine}; GET /api/tasks?board_id= answers {listBytes / 1024} KiB"));

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = chromium, Headless = true });
        var cold = new List<Sample>();
        var warm = new List<Sample>();
        for (var run = 0; run <= runs; run++)
        {
            var (first, again) = await MeasureAsync(browser, server.BaseUrl, tenant, filled);
            if (run == 0)
            {
                continue; // warm-up: server JIT, SQLite page cache
            }

            cold.Add(first);
            warm.Add(again);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"run {run}: cold signed-in {first.SignedInMs:F0} / fetched {first.FetchedMs:F0} / drawn {first.DrawnMs:F0} / painted {first.PaintedMs:F0} ms; " +
                $"returning {again.SignedInMs:F0} / {again.FetchedMs:F0} / {again.DrawnMs:F0} / {again.PaintedMs:F0} ms"));
        }

        Report("cold (empty cache)", cold);
        Report("returning (cached assets)", warm);
        return 0;
    }

    private static async Task<(Sample Cold, Sample Warm)> MeasureAsync(IBrowser browser, string baseUrl, Tenant tenant, int expectedCards)
    {
        await using var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = baseUrl });
        var form = context.APIRequest.CreateFormData();
        form.Set("token", tenant.UserToken);
        var signIn = await context.APIRequest.PostAsync("/web/sign-in", new APIRequestContextOptions
        {
            Form = form,
            Headers = new Dictionary<string, string> { ["X-AK-Request"] = "web" },
        });
        if (signIn.Status != (int)HttpStatusCode.NoContent)
        {
            throw new InvalidOperationException($"sign-in answered {signIn.Status}");
        }

        var page = await context.NewPageAsync();
        await page.GotoAsync("/#/board/" + tenant.BoardId);
        var cold = await ReadMarksAsync(page, expectedCards);
        await page.ReloadAsync();
        var warm = await ReadMarksAsync(page, expectedCards);
        return (cold, warm);
    }

    private static async Task<Sample> ReadMarksAsync(IPage page, int expectedCards)
    {
        await page.WaitForFunctionAsync("() => performance.getEntriesByName('ak-board-painted').length > 0", null,
            new PageWaitForFunctionOptions { Timeout = 120_000 });
        var values = await page.EvaluateAsync<double[]>(
            "() => [performance.getEntriesByName('ak-board-drawn')[0].startTime, performance.getEntriesByName('ak-board-painted')[0].startTime, " +
            "document.querySelectorAll('[data-task-id]').length, performance.getEntriesByName('ak-signed-in')[0].startTime, " +
            "performance.getEntriesByName('ak-board-fetched')[0].startTime]");
        if ((int)values[2] != expectedCards)
        {
            throw new InvalidOperationException($"the board drew {values[2]} cards, expected {expectedCards}");
        }

        return new Sample(values[0], values[1], values[3], values[4]);
    }

    /// <summary>N tasks: a tenth cancelled, a few taken through claim/review/complete so every column has cards; labels and assignees vary.</summary>
    private static async Task<int> FillBoardAsync(BenchServer server, Tenant tenant, int count)
    {
        foreach (var label in Labels)
        {
            await server.SendAsync(HttpMethod.Post, $"api/boards/{tenant.BoardId}/labels", tenant.UserToken, new CreateLabelRequest(label, "#1f6feb"),
                ContractsJsonContext.Default.BoardDto, HttpStatusCode.Created);
        }

        var moved = Math.Min(40, count / 10);
        for (var i = 0; i < moved; i++)
        {
            var prepared = await server.PrepareTaskAsync(tenant);
            var session = server.SignSessionToken(prepared);
            await server.TransitionAsync(prepared.TaskId, "claim", session);
            if (i % 2 == 0)
            {
                await server.TransitionAsync(prepared.TaskId, "review", server.SignSessionToken(prepared));
            }

            if (i % 4 == 0)
            {
                await server.TransitionAsync(prepared.TaskId, "complete", tenant.UserToken);
            }
        }

        var next = moved;
        await Parallel.ForEachAsync(Enumerable.Range(moved, count - moved), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (i, _) =>
        {
            var task = await server.SendAsync(HttpMethod.Post, "api/tasks", tenant.UserToken, new CreateTaskRequest
            {
                BoardId = tenant.BoardId,
                Title = $"Task {i}: refactor the module that handles case {i % 97}",
                Description = "Generated for the first-render benchmark.",
                AssignedTo = i % 3 == 0 ? null : tenant.AgentId,
                Labels = [Labels[i % 4], Labels[(i + 1) % 4]],
            }, ContractsJsonContext.Default.TaskDto, HttpStatusCode.Created);
            if (i % 10 == 0)
            {
                await server.TransitionAsync(task.Id, "cancel", tenant.UserToken);
            }

            Interlocked.Increment(ref next);
        });
        return next;
    }

    private static async Task<long> TaskListBytesAsync(BenchServer server, Tenant tenant)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"api/tasks?board_id={tenant.BoardId}");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", tenant.UserToken);
        using var response = await server.Http.SendAsync(request);
        return (await response.Content.ReadAsByteArrayAsync()).LongLength;
    }

    private static void Report(string what, List<Sample> samples)
    {
        static double Median(IEnumerable<double> values)
        {
            var sorted = values.Order().ToArray();
            return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{what}: drawn median {Median(samples.Select(s => s.DrawnMs)):F0} ms (min {samples.Min(s => s.DrawnMs):F0}, max {samples.Max(s => s.DrawnMs):F0}); " +
            $"painted median {Median(samples.Select(s => s.PaintedMs)):F0} ms (min {samples.Min(s => s.PaintedMs):F0}, max {samples.Max(s => s.PaintedMs):F0}); {samples.Count} runs"));
    }

    private static int IntArg(string[] args, string name, int fallback)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length && int.TryParse(args[at + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : fallback;
    }

    private static string StringArg(string[] args, string name, string fallback)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? args[at + 1] : fallback;
    }

    /// <summary>Times from the start of navigation: first view data loaded, board snapshot fetched, cards drawn, frame painted.</summary>
    private sealed record Sample(double DrawnMs, double PaintedMs, double SignedInMs, double FetchedMs);
}
