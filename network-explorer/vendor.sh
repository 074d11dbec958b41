#!/usr/bin/env bash
# Re-vendors the world map's browser dependencies into src/main/resources/ui/vendor/ (#13).
# The build stays offline: the files are committed, this script is only run to upgrade them.
#   network-explorer/vendor.sh            the versions pinned below
# Needs npm (it talks to the npm registry configured for this machine). The Explorer's
# Content-Security-Policy forbids inline import maps, so bare specifiers ("d3-array") are rewritten
# to relative paths, and .mjs files are renamed .js (served as JavaScript by every static server).
set -euo pipefail

WORLD_ATLAS=2.0.2
TOPOJSON_CLIENT=3.1.0
D3_GEO=3.1.2
D3_ARRAY=3.2.5

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="$HERE/src/main/resources/ui/vendor"
command -v npm >/dev/null || { echo "vendor.sh: npm not found" >&2; exit 1; }
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

(cd "$TMP" && npm init -y >/dev/null && npm install --no-audit --no-fund --ignore-scripts \
  "world-atlas@$WORLD_ATLAS" "topojson-client@$TOPOJSON_CLIENT" "d3-geo@$D3_GEO" "d3-array@$D3_ARRAY" >/dev/null)
NM="$TMP/node_modules"

rm -rf "$OUT"
mkdir -p "$OUT/world-atlas" "$OUT/topojson-client" "$OUT/d3-geo" "$OUT/d3-array"

cp "$NM/world-atlas/countries-110m.json" "$NM/world-atlas/LICENSE" "$OUT/world-atlas/"
cp "$NM"/topojson-client/src/*.js "$NM/topojson-client/LICENSE" "$OUT/topojson-client/"
cp "$NM/d3-array/dist/d3-array.mjs" "$OUT/d3-array/d3-array.js"
cp "$NM/d3-array/LICENSE" "$OUT/d3-array/"
sed -e "s#from 'd3-array'#from '../d3-array/d3-array.js'#" "$NM/d3-geo/dist/d3-geo.mjs" > "$OUT/d3-geo/d3-geo.js"
cp "$NM/d3-geo/LICENSE" "$OUT/d3-geo/"

# Every import left must be relative: a bare specifier would fail in the browser without an import map.
if grep -rnE "(from|import)[[:space:]]*['\"][^./'\"]" "$OUT" --include='*.js'; then
  echo "vendor.sh: a bare import specifier is left (above)" >&2; exit 1
fi

{
  echo "# Vendored browser dependencies of the Explorer's world map"
  echo
  echo "Written by \`network-explorer/vendor.sh\` (do not edit by hand). All ISC-licensed; the map data"
  echo "(Natural Earth, via world-atlas) is public domain. Each directory holds the package's LICENSE."
  echo "Changes: \`d3-geo.js\` imports \`../d3-array/d3-array.js\` instead of the bare \`d3-array\`;"
  echo "the ESM builds \`*.mjs\` are renamed \`*.js\`."
  echo
  echo "| package | file | sha256 | licence |"
  echo "|---|---|---|---|"
  for f in $(cd "$OUT" && find . -type f ! -name LICENSE ! -name VENDOR.md | sort); do
    f="${f#./}"; pkg="${f%%/*}"
    ver=$(node -p "require('$NM/$pkg/package.json').version")
    lic=$(node -p "require('$NM/$pkg/package.json').license")
    echo "| $pkg@$ver | \`$f\` | \`$(sha256sum "$OUT/$f" | cut -d' ' -f1)\` | $lic |"
  done
} > "$OUT/VENDOR.md"
echo "vendor.sh: wrote $OUT" >&2
