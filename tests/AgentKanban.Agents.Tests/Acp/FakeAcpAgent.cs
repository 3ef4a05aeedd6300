namespace AgentKanban.Agents.Tests.Acp;

/// <summary>
/// A scripted ACP agent for process tests: a small node program that plays <c>FAKE_ACP_STEPS</c> (a JSON array) against
/// whatever client drives it and appends every line it receives to <c>FAKE_ACP_LOG</c>. Steps:
/// <c>{"on":"method","result":…}</c> / <c>{"on":"method","error":…}</c> wait for that request and answer it;
/// <c>{"send":{…}}</c> writes a message; <c>{"raw":"text"}</c> writes a raw line; <c>{"huge":N}</c> writes a line of N bytes;
/// <c>{"ask":{method, params}}</c> sends a request and waits for its answer; <c>{"on":"method","hold":true}</c> waits for the
/// request and <c>{"reply":{"result":…}}</c> answers it later; <c>{"waitFor":"path"}</c> waits until the file exists;
/// <c>{"exit":N}</c> exits. Like real ACP agents it never exits on its
/// own (not even when its input closes), and with <c>FAKE_ACP_IGNORE_TERM=1</c> it ignores SIGTERM as well.
/// </summary>
internal static class FakeAcpAgent
{
    public const string Script = """
        import { appendFileSync, existsSync } from 'node:fs';
        import { createInterface } from 'node:readline';

        const steps = JSON.parse(process.env.FAKE_ACP_STEPS ?? '[]');
        const log = process.env.FAKE_ACP_LOG;
        if (process.env.FAKE_ACP_IGNORE_TERM === '1') process.on('SIGTERM', () => {});
        if (log) appendFileSync(log, JSON.stringify({ argv: process.argv.slice(2) }) + '\n');
        const waiting = [];
        const received = [];
        createInterface({ input: process.stdin }).on('line', line => {
          if (log) appendFileSync(log, line + '\n');
          let message;
          try { message = JSON.parse(line); } catch { return; }
          received.push(message);
          for (const w of waiting.splice(0)) w();
        });
        const next = predicate => new Promise(resolve => {
          const look = () => {
            const i = received.findIndex(predicate);
            if (i >= 0) resolve(received.splice(i, 1)[0]); else waiting.push(look);
          };
          look();
        });
        const write = obj => process.stdout.write((typeof obj === 'string' ? obj : JSON.stringify(obj)) + '\n');
        setInterval(() => {}, 1 << 30);
        let askId = 1000;
        let held;
        const answer = (request, step) => {
          const message = { jsonrpc: '2.0', id: request.id };
          if (step.error) message.error = step.error; else message.result = step.result ?? null;
          write(message);
        };
        for (const step of steps) {
          if (step.on) {
            const request = await next(m => m.method === step.on && m.id !== undefined);
            if (step.hold) held = request; else answer(request, step);
          } else if (step.reply) {
            answer(held, step.reply);
          } else if (step.waitFor) {
            while (!existsSync(step.waitFor)) await new Promise(r => setTimeout(r, 20));
          } else if (step.exit !== undefined) {
            process.exit(step.exit);
          } else if (step.send) {
            write(step.send);
          } else if (step.raw !== undefined) {
            write(step.raw);
          } else if (step.huge) {
            write('{"pad":"' + 'x'.repeat(step.huge) + '"}');
          } else if (step.ask) {
            const id = askId++;
            write({ jsonrpc: '2.0', id, ...step.ask });
            await next(m => m.id === id && m.method === undefined);
          }
        }
        """;

    /// <summary>Writes the script into <paramref name="directory"/> and returns its path.</summary>
    public static string Write(string directory)
    {
        var path = Path.Combine(directory, "fake-acp-agent.mjs");
        File.WriteAllText(path, Script);
        return path;
    }
}
