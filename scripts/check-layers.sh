#!/usr/bin/env bash
# The layers of src/ (README "Architecture"), checked on every include: a lower layer never
# includes a higher one, and only src/store knows the backends. Prints each violation and exits 1;
# run by ctest as `layers`.
#
#   common < money, security, observability < billing, auth < store < integration, tools < agent < http < app, main
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
forbid() {  # $1 = directory, $2 = include prefixes it must not use (regex alternatives)
  local hits
  hits=$(grep -rnE "#include \"($2)" "src/$1" --include='*.h' --include='*.cc' |
         grep -v '_test\.cc:' || true)
  if [[ -n $hits ]]; then
    echo "layer $1 includes what it must not ($2):"
    echo "$hits"
    status=1
  fi
}
forbid common "money/|security/|billing/|auth/|store/|integration/|tools/|agent/|http/|app/"
forbid observability "money/|billing/|auth/|store/|integration/|tools/|agent/|http/|app/"
forbid money "security/|billing/|auth/|store/|integration/|tools/|agent/|http/|app/"
forbid security "billing/|auth/|store/|integration/|tools/|agent/|http/|app/"
forbid billing "store/sqlite/|store/postgres/|store/backend|integration/|tools/|agent/|http/|app/"
forbid auth "store/|integration/|tools/|agent/|http/|app/"
forbid store "integration/|tools/|agent/|http/|app/"
forbid integration "store/sqlite/|store/postgres/|tools/|agent/|http/|app/"
forbid tools "store/sqlite/|store/postgres/|integration/|agent/|http/|app/"
forbid agent "store/sqlite/|store/postgres/|http/|app/"
forbid http "store/sqlite/|store/postgres/|app/"
forbid app "store/sqlite/|store/postgres/"
exit $status
