#!/usr/bin/env bash
# Cold start-up of the `ak` CLI: `ak --version` and `ak get task ID -o json` against a running server.
# Targets: ≤ 40 ms median for any command (bench/README.md). Each run is a fresh process.
#
#   bench/cli-startup.sh            # a JIT publish and a NativeAOT publish, both measured
#   RUNS=50 bench/cli-startup.sh    # more runs
#   SKIP_AOT=1 bench/cli-startup.sh # JIT only
#
# Uses hyperfine when installed (apt-get install -y hyperfine), otherwise a plain timing loop.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${RUNS:-30}
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

# Median of the numbers on stdin (ms), one per line.
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# median_ms LABEL COMMAND... : prints the median wall time of COMMAND in milliseconds.
median_ms() {
  local label=$1; shift
  if command -v hyperfine >/dev/null 2>&1; then
    local json="$WORK/$label.json"
    hyperfine --shell=none --warmup 3 --runs "$RUNS" --export-json "$json" --style none "$*" >/dev/null 2>&1 \
      || { log "hyperfine failed for $label"; echo "n/a"; return; }
    # Wall median, and in brackets the mean CPU (user+sys), which a busy machine distorts less.
    python3 -c 'import json, sys; r = json.load(open(sys.argv[1]))["results"][0]; print("%.1f [%.0f]" % (r["median"] * 1000, (r["user"] + r["system"]) * 1000))' "$json"
  else
    local i start end
    for i in 1 2 3; do "$@" >/dev/null 2>&1 || true; done
    for ((i = 0; i < RUNS; i++)); do
      start=$(date +%s%N); "$@" >/dev/null 2>&1 || true; end=$(date +%s%N)
      echo $(( (end - start) / 1000 ))
    done | median | awk '{ printf "%.1f\n", $1 / 1000 }'
  fi
}

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }

# Publish from a copy of the tree so the benchmark never touches the working tree's bin/ and obj/ folders
# (a RID-specific restore rewrites project.assets.json, which would disturb builds running alongside).
log "== copying the source tree to $WORK/src"
mkdir -p "$WORK/src"
tar -C "$ROOT" --exclude=./.git --exclude='*/bin' --exclude='*/obj' --exclude=./TestResults -cf - . | tar -C "$WORK/src" -xf -
SRC="$WORK/src"

log "== publishing (Release, JIT: -p:PublishAot=false) to $WORK/jit"
dotnet publish "$SRC/src/AgentKanban.Cli" -c Release -p:PublishAot=false -o "$WORK/jit" -nologo -v q >"$WORK/publish-jit.log" 2>&1 \
  || { cat "$WORK/publish-jit.log" >&2; exit 1; }
AK_JIT="$WORK/jit/ak"

AK_AOT=""
AOT_NOTE="skipped (SKIP_AOT=1)"
if [[ -z "${SKIP_AOT:-}" ]]; then
  log "== publishing NativeAOT (-r linux-x64 -p:PublishAot=true) to $WORK/aot"
  if dotnet publish "$SRC/src/AgentKanban.Cli" -c Release -r linux-x64 -p:PublishAot=true -o "$WORK/aot" -nologo \
       >"$WORK/publish-aot.log" 2>&1 && [[ -x "$WORK/aot/ak" ]]; then
    AK_AOT="$WORK/aot/ak"
    AOT_NOTE="ok ($(du -h "$AK_AOT" | cut -f1))"
  else
    AOT_NOTE="failed: $(grep -E 'error|warning' "$WORK/publish-aot.log" | sed -E 's/^.*(error|warning) /\1 /' | sort | uniq -c | sort -rn | head -5 | tr '\n' ';')"
    log "NativeAOT publish failed; first problems:"
    grep -E ' (error|warning) ' "$WORK/publish-aot.log" | head -20 >&2 || tail -20 "$WORK/publish-aot.log" >&2
  fi
fi

log "== starting a server"
PORT=$(free_port)
URL="http://127.0.0.1:$PORT"
export HOME="$WORK/home" XDG_CONFIG_HOME="$WORK/home/.config" XDG_DATA_HOME="$WORK/home/.local/share"
mkdir -p "$HOME"
"$AK_JIT" server --data "$WORK/data" --urls "$URL" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 300); do
  if curl -fsS "$URL/healthz" >/dev/null 2>&1 && [[ -s "$WORK/data/admin-token" ]]; then break; fi
  sleep 0.1
done
curl -fsS "$URL/healthz" >/dev/null || { log "server did not start:"; cat "$WORK/server.log" >&2; exit 1; }
export AK_SERVER="$URL" AK_TOKEN
AK_TOKEN=$(cat "$WORK/data/admin-token")

"$AK_JIT" create board --name bench --type ops >/dev/null
TASK_ID=$("$AK_JIT" create task --board bench --title "Benchmark task" -o name | cut -d/ -f2)
"$AK_JIT" get task "$TASK_ID" -o json >/dev/null

log "== measuring ($RUNS runs each, medians)"
JIT_VERSION=$(median_ms jit-version "$AK_JIT" --version)
JIT_GET=$(median_ms jit-get "$AK_JIT" get task "$TASK_ID" -o json)
AOT_VERSION="n/a"; AOT_GET="n/a"
if [[ -n "$AK_AOT" ]]; then
  if "$AK_AOT" get task "$TASK_ID" -o json >/dev/null 2>"$WORK/aot-get.err"; then
    AOT_VERSION=$(median_ms aot-version "$AK_AOT" --version)
    AOT_GET=$(median_ms aot-get "$AK_AOT" get task "$TASK_ID" -o json)
  else
    AOT_NOTE="$AOT_NOTE; but the binary fails: $(head -c 300 "$WORK/aot-get.err")"
  fi
fi

printf '\n%-36s %16s %16s\n' "ak cold start, median ms [cpu ms]" "JIT" "NativeAOT"
printf '%-36s %16s %16s\n' "ak --version           (≤ 40)" "$JIT_VERSION" "$AOT_VERSION"
printf '%-36s %16s %16s\n' "ak get task ID -o json (≤ 80)" "$JIT_GET" "$AOT_GET"
printf '\nNativeAOT publish: %s\n' "$AOT_NOTE"
printf 'tool: %s; runs: %s; machine: %s cores; load average: %s\n' \
  "$(command -v hyperfine >/dev/null && echo hyperfine || echo 'shell loop')" "$RUNS" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
