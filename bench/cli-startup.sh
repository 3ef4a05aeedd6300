#!/usr/bin/env bash
# Cold start-up of the published NativeAOT `ak` against a running server, next to `node -e 0`, in the same run:
#   ak --help
#   ak get task ID -o json       (one GET over loopback)
#   ak task note ID "…"          (one POST over loopback: a write, SQLite synchronous=FULL on the server)
#   node -e 0                    (the reference: a bare Node.js start)
# Each run is a fresh process. The commands are interleaved (run i of every command, then run i+1), so a burst of load
# from elsewhere hits all of them alike. Per command: median and min/max wall time (fork+exec to exit, timed by a
# Python parent with perf_counter_ns around Popen + wait4) and the median and max peak RSS (ru_maxrss from wait4).
#
#   bench/cli-startup.sh                  # publishes with `dotnet publish src/AgentKanban.Cli -c Release -o OUT` first
#   AK=/path/to/ak bench/cli-startup.sh   # an ak published already (that same command); no publish
#   RUNS=51 bench/cli-startup.sh          # more runs (default 31)
#   WITH_JIT=1 bench/cli-startup.sh       # also the JIT build (dotnet publish -p:PublishAot=false)
#
# The server is the same `ak` (`ak server`, SQLite in a temp dir, 127.0.0.1 only); it is stopped at the end.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${RUNS:-31}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ak-bench.XXXXXX")
SERVER_PID=""

cleanup() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

log() { printf '%s\n' "$*" >&2; }

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }

copy_tree() {
  # Publish from a copy of the tree so the benchmark never touches the working tree's bin/ and obj/ folders
  # (a RID-specific restore rewrites project.assets.json, which would disturb builds running alongside).
  if [[ ! -d "$WORK/src" ]]; then
    log "== copying the source tree to $WORK/src"
    mkdir -p "$WORK/src"
    tar -C "$ROOT" --exclude=./.git --exclude='*/bin' --exclude='*/obj' --exclude=./TestResults -cf - . | tar -C "$WORK/src" -xf -
  fi
}

if [[ -n "${AK:-}" ]]; then
  AK_AOT=$(cd "$(dirname "$AK")" && pwd)/$(basename "$AK")
  PUBLISH_NOTE="given: $AK_AOT"
else
  copy_tree
  log "== dotnet publish src/AgentKanban.Cli -c Release -o $WORK/aot (NativeAOT, the README's build)"
  start=$(date +%s)
  dotnet publish "$WORK/src/src/AgentKanban.Cli" -c Release -o "$WORK/aot" -nologo >"$WORK/publish-aot.log" 2>&1 \
    || { tail -30 "$WORK/publish-aot.log" >&2; exit 1; }
  AK_AOT="$WORK/aot/ak"
  PUBLISH_NOTE="published in $(( $(date +%s) - start )) s"
fi
[[ -x "$AK_AOT" ]] || { log "no ak at $AK_AOT"; exit 1; }
PUBLISH_NOTE="$PUBLISH_NOTE; $(du -h "$AK_AOT" | cut -f1) binary"

AK_JIT=""
if [[ -n "${WITH_JIT:-}" ]]; then
  copy_tree
  log "== dotnet publish -p:PublishAot=false (JIT) to $WORK/jit"
  dotnet publish "$WORK/src/src/AgentKanban.Cli" -c Release -p:PublishAot=false -o "$WORK/jit" -nologo >"$WORK/publish-jit.log" 2>&1 \
    || { tail -30 "$WORK/publish-jit.log" >&2; exit 1; }
  AK_JIT="$WORK/jit/ak"
fi

log "== starting a server (ak server, 127.0.0.1)"
PORT=$(free_port)
URL="http://127.0.0.1:$PORT"
export HOME="$WORK/home" XDG_CONFIG_HOME="$WORK/home/.config" XDG_DATA_HOME="$WORK/home/.local/share" XDG_STATE_HOME="$WORK/home/.local/state"
mkdir -p "$HOME"
"$AK_AOT" server --data "$WORK/data" --urls "$URL" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 600); do
  if curl -fsS "$URL/healthz" >/dev/null 2>&1 && [[ -s "$WORK/data/admin-token" ]]; then break; fi
  sleep 0.1
done
curl -fsS "$URL/healthz" >/dev/null || { log "server did not start:"; cat "$WORK/server.log" >&2; exit 1; }
export AK_SERVER="$URL" AK_TOKEN
AK_TOKEN=$(cat "$WORK/data/admin-token")

"$AK_AOT" create board --name bench --type ops >/dev/null
TASK_ID=$("$AK_AOT" create task --board bench --title "Benchmark task" -o name | cut -d/ -f2)
# Every command once before timing: each must succeed, or the numbers would time an error path.
"$AK_AOT" --help >/dev/null
"$AK_AOT" get task "$TASK_ID" -o json >/dev/null
"$AK_AOT" task note "$TASK_ID" "start-up benchmark: check" >/dev/null
node -e 0

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
log "== measuring ($RUNS runs of each, interleaved, after 3 untimed rounds)"
python3 - "$RUNS" "$AK_AOT" "$TASK_ID" "$AK_JIT" <<'PY'
import os, subprocess, sys, time

runs, ak, task, jit = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
commands = [
    ("ak --help", [ak, "--help"]),
    ("ak get task ID -o json", [ak, "get", "task", task, "-o", "json"]),
    ('ak task note ID "..."', [ak, "task", "note", task, "start-up benchmark note"]),
]
if jit:
    commands += [
        ("JIT ak --help", [jit, "--help"]),
        ("JIT ak get task ID -o json", [jit, "get", "task", task, "-o", "json"]),
        ('JIT ak task note ID "..."', [jit, "task", "note", task, "start-up benchmark note"]),
    ]
commands.append(("node -e 0", ["node", "-e", "0"]))

def once(argv):
    start = time.perf_counter_ns()
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(p.pid, 0)
    wall = (time.perf_counter_ns() - start) / 1e6
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited with {p.returncode}")
    return wall, usage.ru_maxrss / 1024.0  # KiB -> MiB

samples = {name: [] for name, _ in commands}
for i in range(3 + runs):
    for name, argv in commands:
        wall, rss = once(argv)
        if i >= 3:
            samples[name].append((wall, rss))

def median(values):
    v = sorted(values)
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2

node = median([w for w, _ in samples["node -e 0"]])
print(f"\n{'command':<30} {'median ms':>10} {'min':>7} {'max':>7} {'vs node':>8} {'RSS median MiB':>15} {'RSS max':>8}")
for name, _ in commands:
    walls = [w for w, _ in samples[name]]
    rss = [r for _, r in samples[name]]
    print(f"{name:<30} {median(walls):>10.1f} {min(walls):>7.1f} {max(walls):>7.1f} {median(walls) / node:>7.2f}x {median(rss):>15.1f} {max(rss):>8.1f}")
PY
printf '\nak: %s\nruns: %s per command, interleaved; machine: %s cores; load average before: %s, after: %s\n' \
  "$PUBLISH_NOTE" "$RUNS" "$(nproc)" "$LOAD_BEFORE" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf 'node: %s\n' "$(node --version)"
