#!/usr/bin/env bash
# Builds the Terraform and OpenTofu CLIs the acceptance tests run against and
# caches them outside the clone, so only the first run pays for the build.
#
#   tools/ensure-cli.sh terraform   -> prints the path of Terraform 1.5.7
#   tools/ensure-cli.sh tofu        -> prints the path of OpenTofu (tools/tofu/go.mod)
#   tools/ensure-cli.sh golangci-lint -> prints the path of golangci-lint (v2, pinned below)
#
# There is no release download here, only the Go module proxy, so both are
# built from source. The cache directory is $PGTLS_CACHE, default
# ${XDG_CACHE_HOME:-$HOME/.cache}/pgtls.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cache=${PGTLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pgtls}
terraform_version=1.5.7
golangci_version=2.15.0
tofu_version=$(awk '$1 == "require" && $2 == "github.com/opentofu/opentofu" {print $3}' "$root/tools/tofu/go.mod")
tofu_version=${tofu_version#v}

mkdir -p "$cache/bin"

build_terraform() {
  local out="$cache/bin/terraform-$terraform_version"
  if [ ! -x "$out" ]; then
    echo "building Terraform $terraform_version into $out (first run only, ~5 min)" >&2
    local tmp
    tmp=$(mktemp -d)
    # Terraform's module is built outside any module context so our go.mod
    # does not interfere; GOFLAGS from the caller are kept.
    (cd "$tmp" && GOBIN="$tmp" go install "github.com/hashicorp/terraform@v$terraform_version") >&2
    mv "$tmp/terraform" "$out.partial"
    mv "$out.partial" "$out"
    rm -rf "$tmp"
  fi
  # A directory holding just `terraform`, for tools that look it up in PATH
  # (tfplugindocs) so they never try to download one.
  mkdir -p "$cache/path"
  ln -sfn "$out" "$cache/path/terraform"
  echo "$out"
}

build_tofu() {
  local out="$cache/bin/tofu-$tofu_version"
  if [ ! -x "$out" ]; then
    echo "building OpenTofu $tofu_version into $out (first run only, ~8 min)" >&2
    (cd "$root/tools/tofu" && go build -trimpath \
      -ldflags "-X github.com/opentofu/opentofu/version.dev=no" \
      -o "$out.partial" github.com/opentofu/opentofu/cmd/tofu) >&2
    mv "$out.partial" "$out"
  fi
  echo "$out"
}

build_golangci() {
  local out="$cache/bin/golangci-lint-$golangci_version"
  if [ ! -x "$out" ]; then
    echo "building golangci-lint $golangci_version into $out (first run only, ~3 min)" >&2
    local tmp
    tmp=$(mktemp -d)
    (cd "$tmp" && GOBIN="$tmp" go install "github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v$golangci_version") >&2
    mv "$tmp/golangci-lint" "$out.partial"
    mv "$out.partial" "$out"
    rm -rf "$tmp"
  fi
  echo "$out"
}

case "${1:-}" in
  terraform) build_terraform ;;
  tofu) build_tofu ;;
  golangci-lint) build_golangci ;;
  all) build_terraform; build_tofu; build_golangci ;;
  *) echo "usage: $0 terraform|tofu|golangci-lint|all" >&2; exit 2 ;;
esac
