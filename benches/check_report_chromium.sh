#!/usr/bin/env bash
# Load a report's index.html in headless Chromium (Debian package `chromium`):
# print every console message (there must be none), click the sortable
# columns of the exceptions table and print the order they give, and save a
# screenshot beside the page.
#
# Usage: benches/check_report_chromium.sh REPORT_DIR   (e.g. reports/2026-11-22)
set -euo pipefail
dir="$(cd "$1" && pwd)"
chrome="$(command -v chromium || command -v chromium-browser)"
flags=(--headless=new --no-sandbox --disable-gpu --enable-logging=stderr --v=1)
echo "== console messages of index.html (none expected)"
"$chrome" "${flags[@]}" --dump-dom "file://$dir/index.html" 2>&1 >/dev/null | grep CONSOLE || echo "none"
probe="$dir/.sortcheck.html"
trap 'rm -f "$probe"' EXIT
sed 's#</body></html>#<script>var t=document.querySelector("\#exceptions").nextElementSibling.nextElementSibling.querySelector("table");var h=t.querySelectorAll("th");function col(k,n){var a=[];for(var r=0;r<Math.min(n,t.tBodies[0].rows.length);r++)a.push(t.tBodies[0].rows[r].cells[k].textContent);return a.join(" | ")}h[4].click();console.log("value ascending: "+col(4,5));h[4].click();console.log("value descending: "+col(4,5));h[3].click();console.log("exception A-Z: "+col(3,3));</script></body></html>#' \
  "$dir/index.html" > "$probe"
echo "== sorting the exceptions table"
"$chrome" "${flags[@]}" --dump-dom "file://$probe" 2>&1 >/dev/null | grep CONSOLE | sed 's/.*CONSOLE[^"]*"//; s/", source.*//'
"$chrome" --headless=new --no-sandbox --disable-gpu --hide-scrollbars --window-size=1280,2400 \
  --screenshot="$dir/../index-screenshot.png" "file://$dir/index.html" 2>/dev/null
echo "== screenshot: $dir/../index-screenshot.png"
