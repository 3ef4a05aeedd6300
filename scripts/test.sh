#!/usr/bin/env bash
# The one command that installs what the tests need and runs them all (README "Run the tests").
# A fresh machine has only the .NET SDK, node/npm, git and apt; everything else is set up here:
#   - PostgreSQL (Debian package, installed if missing) started on 127.0.0.1 for the PostgreSQL half of the suite;
#   - npm packages pinned in package-lock.json (the real Claude Code CLI), when the lockfile exists;
#   - Chromium (Debian package, installed if missing) for the web board's browser tests;
#   - the native toolchain NativeAOT links with (clang or gcc, binutils, zlib; Debian packages, installed if missing), then the
#     native `ak` is published once and the executable tests (CLI, daemon control, real-CLI daemon) run against it.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "==> PostgreSQL for tests"
AK_TEST_PG="$(scripts/start-test-postgres.sh)"
export AK_TEST_PG
echo "    $AK_TEST_PG" | sed 's/Password=[^;]*/Password=***/'

if [ -f package-lock.json ]; then
  echo "==> npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

echo "==> Chromium for the browser tests"
AK_CHROMIUM="$(scripts/install-chromium.sh)"
export AK_CHROMIUM
echo "    $AK_CHROMIUM"

echo "==> Native toolchain for the NativeAOT ak"
# The AOT compiler links with clang (or gcc), against zlib, and strips symbols with objcopy (binutils).
if ! { command -v clang >/dev/null 2>&1 || command -v gcc >/dev/null 2>&1; } \
  || ! command -v objcopy >/dev/null 2>&1 || ! dpkg -s zlib1g-dev >/dev/null 2>&1; then
  echo "    clang/gcc, binutils or zlib1g-dev missing; installing from apt…"
  scripts/apt-install.sh clang binutils zlib1g-dev
fi

echo "==> dotnet publish (the native ak, as the README builds it)"
dotnet publish src/AgentKanban.Cli -c Release -o artifacts/ak --nologo -v quiet
AK_TEST_AK="$PWD/artifacts/ak/ak"
export AK_TEST_AK
echo "    $AK_TEST_AK"

echo "==> dotnet test"
dotnet test --solution AgentKanban.slnx -c Release "$@"
