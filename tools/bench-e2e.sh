#!/usr/bin/env bash
# make bench-e2e: the end-to-end benchmark (tools/bench-e2e) of the provider
# built from this tree, with Terraform 1.5.7 and OpenTofu, against a
# terraform_data floor. Not part of `make test`. Arguments pass through:
#   tools/bench-e2e.sh -n 200,1000 -hba 1000,3000 -reps 3 -cli terraform,tofu -out FILE
# PGTLS_BENCH_TERRAFORM / PGTLS_BENCH_TOFU override the CLI binaries.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export CHECKPOINT_DISABLE=1
export PGTLS_BENCH_TERRAFORM=${PGTLS_BENCH_TERRAFORM:-$(tools/ensure-cli.sh terraform)}
export PGTLS_BENCH_TOFU=${PGTLS_BENCH_TOFU:-$(tools/ensure-cli.sh tofu)}
exec go run ./tools/bench-e2e -repo "$root" "$@"
