#!/usr/bin/env bash
# The report's accessibility (WCAG 2.1 AA), checked in a real browser: axe-core in headless
# Chromium on the English and the Swedish demo reports, at 100% and 200% zoom. Prints every
# violation and exits 1 on any; writes a screenshot and a print (PDF) of each report into
# target/accessibility/. Needs node, npm and chromium (apt-get install chromium nodejs npm).
#
#   scripts/check-accessibility.sh [REPORT.html ...]   (default: both demo reports)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tools="$root/target/accessibility/node"
mkdir -p "$tools"
if [ ! -d "$tools/node_modules/axe-core" ] || [ ! -d "$tools/node_modules/puppeteer-core" ]; then
  (cd "$tools" && npm install --silent --no-audit --no-fund axe-core@4 puppeteer-core@23 >/dev/null)
fi
cp "$root/scripts/check-accessibility.mjs" "$tools/check.mjs"
if [ $# -eq 0 ]; then
  set -- "$root/notebooks-out/md1-demo/report.html" "$root/notebooks-out/md1-demo-sv/report.html"
fi
node "$tools/check.mjs" "$root/target/accessibility" "$@"
