#!/usr/bin/env bash
# Installs Debian packages quietly (through sudo when not root); progress goes to stderr so callers can keep stdout
# for their own answer. Used by the test set-up scripts for what a fresh machine lacks.
#   usage: scripts/apt-install.sh PACKAGE...
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq >&2
$SUDO apt-get install -y -qq "$@" >&2
