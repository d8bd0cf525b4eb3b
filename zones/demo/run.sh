#!/usr/bin/env bash
# The demo: a few runs under zones/demo/policy.yaml, showing what a guest can
# and cannot do. Run it through `npm run demo`, which sets everything up first.
set -uo pipefail
cd "$(dirname "$0")/../.."
goodbot() { node dist/node/cli/main.js "$@"; }
guests=.cache/guests
policy=zones/demo/policy.yaml
show() { printf '\n\033[1m$ goodbot %s\033[0m\n' "$*"; goodbot "$@"; printf '(exit status %s)\n' "$?"; }

echo "goodbot demo: tools run as WebAssembly in this Node process, under $policy"

echo; echo "1. Real tools from the catalog (built to WASI from Debian sources), on the input zone:"
show exec --policy "$policy" -- cat /input/notes.txt
show exec --policy "$policy" -- python3 -c '
import csv, json
rows = list(csv.DictReader(open("/input/reports/sales.csv")))
totals = {}
for row in rows:
    totals[row["region"]] = totals.get(row["region"], 0) + int(row["amount"])
json.dump(totals, open("/output/totals.json", "w"))
print("wrote /output/totals.json:", totals)'
show exec --policy "$policy" -- jq -r 'to_entries | max_by(.value) | "top region: \(.key)"' /output/totals.json
show exec --policy "$policy" -- sqlite3 -box :memory: \
  ".import --csv /input/reports/sales.csv sales" "select quarter, sum(amount) as total from sales group by quarter;"

echo; echo "   A command line in goodbot's shell: every command is a catalog tool under the same policy:"
line='cut -d, -f1 sales.csv | sort | uniq -c; echo "regions: $(tail -n +2 sales.csv | cut -d, -f1 | sort -u | wc -l)"'
printf "\n\033[1m\$ goodbot exec --policy %s --cwd /input/reports -- sh -c '%s'\033[0m\n" "$policy" "$line"
goodbot exec --policy "$policy" --cwd /input/reports -- sh -c "$line"
printf '(exit status %s)\n' "$?"

echo; echo "   A tool the policy does not list is refused before it runs (sandbox.tools.allow):"
show exec --policy "$policy" -- ruby -e 'puts 1'

echo; echo "2. Copy it to the output zone, list both, and use the in-memory scratch zone:"
show exec --policy "$policy" -- "$guests/probe.wasm" \
  copy /input/reports/sales.csv /output/sales-copy.csv \; ls /input \; ls /output \
  \; write /scratch/tmp.txt temporary \; ls /scratch \; env
echo "on the host: $(ls out/demo)"

echo; echo "3. Try to escape, as a compromised tool would. Every attempt is refused and recorded:"
show exec --policy "$policy" --json -- "$guests/probe.wasm" \
  read /etc/passwd \; rawopen 3 ../../../etc/passwd \; read /input/host-shortcut \
  \; write /input/notes.txt overwritten \; symlink /etc /output/way-out \; fdscan

echo; echo "4. The same program as a WASI preview2 component (exit code preserved exactly):"
show exec --policy "$policy" -- "$guests/probe.component.wasm" read /input/notes.txt \; exit 3

echo; echo "5. A guest that crashes (traps) ends its own run, not the host:"
show exec --policy "$policy" -- "$guests/probe.wasm" trap unreachable

containers=zones/demo/container-policy.yaml
echo; echo "6. A tool without a WebAssembly build runs in a hardened Docker container, same policy ($containers):"
show exec --policy "$containers" -- git --version
show exec --policy "$containers" -- sh -c 'echo "uid $(id -u), interfaces: $(ls /sys/class/net), MODE=$MODE"; wc -l /input/notes.txt; touch /input/planted'
echo; echo "demo done."
