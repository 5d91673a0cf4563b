#!/usr/bin/env bash
# Debian/Ubuntu packages the test suite needs, installed only if missing:
#   chromium    the headless browser of the site test (Playwright drives it;
#               a test tool's own browser download does not work offline)
#   bubblewrap  the sandbox `cnnbook autograde` runs student code in
#   postgresql  a throwaway PostgreSQL server for the gradebook tests (the tests
#               start their own on loopback; no cluster is created or started here)
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then
    missing+=(postgresql)
fi
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
fi
echo "installing ${missing[*]} with apt-get" >&2
if [[ " ${missing[*]} " == *" postgresql "* ]]; then
    # Debian's package would create and start a 'main' cluster on port 5432: the tests
    # need only the binaries, and start (and stop) their own servers
    $sudo mkdir -p /etc/postgresql-common/createcluster.d
    echo "create_main_cluster = false" | $sudo tee /etc/postgresql-common/createcluster.d/cnnbook.conf >/dev/null
fi
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}"
