#!/usr/bin/env bash
# make test-module: `tofu test` on examples/modules/* with the provider built
# from this tree. A CLI configuration with dev_overrides points OpenTofu at
# the fresh binary, so nothing is downloaded from a registry.
#   scripts/test-module.sh <path of the tofu binary>
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
tofu=${1:?usage: $0 <tofu binary>}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$root" && go build -o "$tmp/bin/terraform-provider-pgtls" .)
cat >"$tmp/tofurc" <<RC
provider_installation {
  dev_overrides {
    "pgtls/pgtls" = "$tmp/bin"
  }
  direct {}
}
RC
export TF_CLI_CONFIG_FILE="$tmp/tofurc" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1
status=0
for m in "$root"/examples/modules/*/; do
  [ -d "$m/tests" ] || continue
  echo "== tofu test ${m#"$root"/}"
  # The working data (.terraform) stays out of the tree.
  TF_DATA_DIR="$tmp/data-$(basename "$m")" "$tofu" -chdir="$m" test -no-color || status=1
done
exit $status
