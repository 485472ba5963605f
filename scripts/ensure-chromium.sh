#!/bin/sh
# `make test` runs the Data lake page's browser test in Debian's chromium (driven by Playwright).
# Installs it when missing and we are root; otherwise says why that test will skip.
CHROMIUM="${DATALAKE_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
    exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "ensure-chromium: installing Debian's chromium for the browser test"
    (apt-get install -y chromium >/dev/null 2>&1 || { apt-get update >/dev/null 2>&1 && apt-get install -y chromium >/dev/null 2>&1; }) \
        || echo "ensure-chromium: apt-get install chromium failed: the browser test will skip"
else
    echo "ensure-chromium: $CHROMIUM missing and not root (or no apt-get): the browser test" \
         "(tests/integration/test_datalake_page.py) will skip; install chromium or set DATALAKE_CHROMIUM"
fi
exit 0
