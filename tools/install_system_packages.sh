#!/usr/bin/env bash
# Debian/Ubuntu packages the test suite needs, installed only if missing:
#   chromium    the headless browser of the site test (Playwright drives it;
#               a test tool's own browser download does not work offline)
#   bubblewrap  the sandbox `cnnbook autograde` runs student code in
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
fi
echo "installing ${missing[*]} with apt-get" >&2
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}"
