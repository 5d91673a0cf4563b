#!/usr/bin/env bash
# Debian/Ubuntu packages the test suite needs, installed only if missing:
#   chromium    the headless browser of the site test (Playwright drives it;
#               a test tool's own browser download does not work offline)
#   bubblewrap  the sandbox `cnnbook autograde` runs student code in
#   postgresql  a throwaway PostgreSQL server for the gradebook tests (the tests
#               start their own on loopback; no cluster is created or started here)
#   python3.11-venv  the shared venv of the JupyterHub test, made from Debian's Python
#   nodejs, npm  configurable-http-proxy (the JupyterHub test's proxy), installed from
#               package.json/package-lock.json into node_modules/ with `npm ci`
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
/usr/bin/python3.11 -c "import ensurepip" >/dev/null 2>&1 || missing+=(python3.11-venv)
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then
    missing+=(postgresql)
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
fi
if [ ${#missing[@]} -ne 0 ]; then
    echo "installing ${missing[*]} with apt-get" >&2
    if [[ " ${missing[*]} " == *" postgresql "* ]]; then
        # Debian's package would create and start a 'main' cluster on port 5432: the tests
        # need only the binaries, and start (and stop) their own servers
        $sudo mkdir -p /etc/postgresql-common/createcluster.d
        echo "create_main_cluster = false" | $sudo tee /etc/postgresql-common/createcluster.d/cnnbook.conf >/dev/null
    fi
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}"
fi
# configurable-http-proxy (and the book's vendored browser libraries), pinned by package-lock.json
if [ ! -x node_modules/.bin/configurable-http-proxy ]; then
    echo "installing node_modules with npm ci" >&2
    npm ci --no-audit --no-fund --loglevel=error
fi
