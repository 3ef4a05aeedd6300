using System.Text.RegularExpressions;
using AgentKanban.Contracts;
using AgentKanban.Server.Tests.Infrastructure;
using AgentKanban.Web.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace AgentKanban.Web.Tests.Accessibility;

/// <summary>
/// Keyboard and screen-reader basics, checked in the real browser: every control has an accessible name (as Chromium's
/// accessibility tree computes it), the Tab key reaches the controls, focus is visible, live regions exist.
/// </summary>
public sealed partial class AccessibilityTests(WebFixture fixture) : WebTests(fixture)
{
    // A line of Playwright's ARIA snapshot for a control with no name, e.g. "- button" or "- textbox [disabled]".
    [GeneratedRegex(@"^\s*- (button|textbox|combobox|link|checkbox|radio|listbox|spinbutton|searchbox|slider|meter)(\s*\[[^\]]*\])*\s*(:.*)?$", RegexOptions.Multiline)]
    private static partial Regex UnnamedControl();

    [Fact]
    public async Task Every_control_on_each_page_has_an_accessible_name()
    {
        var work = await User.StartWorkerAsync(Cancel);
        await User.CreateBoardAsync(cancellationToken: Cancel); // two boards: the picker shows
        await work.Machine.HeartbeatAsync(new HeartbeatRequest
        {
            Runtimes = [new RuntimeStatusDto("claude", "limited", null, Now.AddHours(1))],
            Usage = [new UsageWindowDto("claude", "weekly", 40)],
        }, Cancel);

        await Page.GotoAsync("/");
        await AssertAllNamedAsync("sign-in page");

        await SignInAsync("#/board/" + work.Board.Id);
        await BoardReadyAsync();
        await Page.Locator("#create-task summary").ClickAsync();
        await Page.Locator("#create-board summary").ClickAsync();
        await AssertAllNamedAsync("board page");

        await Page.GotoAsync("/#/task/" + work.Task.Id);
        await TaskReadyAsync();
        await AssertAllNamedAsync("task page");

        await Page.GotoAsync("/#/machines");
        await Expect(Page.Locator("#machines-view")).ToHaveAttributeAsync("data-ready", "true");
        await AssertAllNamedAsync("machines page");
    }

    [Fact]
    public async Task The_tab_key_reaches_every_control_of_the_board_and_the_task_page()
    {
        var work = await User.StartWorkerAsync(Cancel);
        await SignInAsync("#/board/" + work.Board.Id);
        // A fresh load starts keyboard navigation at the top of the document, as for a user arriving on the page.
        await Page.ReloadAsync();
        await BoardReadyAsync();

        var reached = await TabThroughAsync(40);
        foreach (var expected in new[] { "a.skip-link", "a#nav-board", "a#nav-machines", "button#theme-toggle", "button#sign-out",
                     "select#filter-label", "select#filter-assignee", "select#filter-repository", "summary", $"a.card-link[{work.Task.Id}]" })
        {
            Assert.True(reached.Contains(expected), $"Tab never reached {expected}; it reached: {string.Join(", ", reached)}");
        }

        // Order follows the page: navigation before filters, filters before the cards.
        Assert.True(reached.IndexOf("a#nav-board") < reached.IndexOf("select#filter-label"), string.Join(", ", reached));
        Assert.True(reached.IndexOf("select#filter-label") < reached.IndexOf($"a.card-link[{work.Task.Id}]"), string.Join(", ", reached));

        await TaskDetailClaimAndOpenAsync(work);
        reached = await TabThroughAsync(40);
        foreach (var expected in new[] { "a#back-to-board", "button#action-cancel", "button#action-release", "textarea#reject-reason", "textarea#chat-input" })
        {
            Assert.True(reached.Contains(expected), $"Tab never reached {expected}; it reached: {string.Join(", ", reached)}");
        }
    }

    [Fact]
    public async Task Focus_is_visible_and_live_regions_are_announced()
    {
        await User.CreateBoardAsync(cancellationToken: Cancel);
        await SignInAsync();
        await BoardReadyAsync();
        await Page.Locator("body").FocusAsync();
        await Page.Keyboard.PressAsync("Tab");
        await Page.Keyboard.PressAsync("Tab");
        var outline = await Page.EvaluateAsync<string>("() => getComputedStyle(document.activeElement).outlineStyle");
        Assert.NotEqual("none", outline);

        await Expect(Page.Locator("#announcer")).ToHaveAttributeAsync("aria-live", "polite");
        await Expect(Page.Locator("#chat-log")).ToHaveAttributeAsync("role", "log");
        await Expect(Page.Locator("#agent-stream")).ToHaveAttributeAsync("role", "log");
        await Expect(Page.Locator("#activity-log")).ToHaveAttributeAsync("role", "log");
    }

    private async Task TaskDetailClaimAndOpenAsync(WorkerSetup work)
    {
        await Detail.TaskDetailTests.Transition(work.Session.Client, work.Task.Id, "claim");
        await Page.GotoAsync("/#/task/" + work.Task.Id);
        await Page.ReloadAsync();
        await TaskReadyAsync();
        await Expect(Page.Locator("#action-release")).ToBeEnabledAsync();
    }

    private async Task AssertAllNamedAsync(string where)
    {
        var snapshot = await Page.Locator("body").AriaSnapshotAsync();
        var unnamed = UnnamedControl().Matches(snapshot).Select(m => m.Value.Trim()).ToList();
        Assert.True(unnamed.Count == 0, $"{where}: controls without an accessible name: {string.Join("; ", unnamed)}\n{snapshot}");
        // The same rule from the DOM side, for controls a snapshot might fold into their parent.
        var missing = await Page.EvaluateAsync<string[]>(@"() => [...document.querySelectorAll('button, input, select, textarea, a[href], summary')]
            .filter(e => e.offsetParent !== null || e.getClientRects().length > 0)
            .filter(e => !(e.getAttribute('aria-label') || e.getAttribute('aria-labelledby') || (e.labels && e.labels.length) || e.textContent.trim()))
            .map(e => e.outerHTML.slice(0, 120))");
        Assert.True(missing.Length == 0, $"{where}: unlabelled controls: {string.Join("; ", missing)}");
    }

    /// <summary>Presses Tab from the top of the page and names each element that gets focus ("tag#id", "tag.class[task]").</summary>
    private async Task<List<string>> TabThroughAsync(int presses)
    {
        await Page.EvaluateAsync("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }");
        var reached = new List<string>();
        for (var i = 0; i < presses; i++)
        {
            await Page.Keyboard.PressAsync("Tab");
            reached.Add(await Page.EvaluateAsync<string>(@"() => {
                const e = document.activeElement;
                if (!e || e === document.body) return 'body';
                const tag = e.tagName.toLowerCase();
                if (e.id) return tag + '#' + e.id;
                const card = e.closest('[data-task-id]');
                if (card) return tag + '.' + e.className + '[' + card.dataset.taskId + ']';
                return e.className ? tag + '.' + e.className.split(' ')[0] : tag;
            }"));
        }

        return reached;
    }

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;
}
