#!/usr/bin/env bash
# Installs the real servers and clients the tests run against, when missing:
#   postgresql-15 (server, /usr/lib/postgresql/15/bin), postgresql-client-15
#   (psql), pgbouncer, pgpool2, openssl, libpostgresql-jdbc-java (pgJDBC, for
#   the libpq bundle's JDBC properties)   -- Debian bookworm packages.
#
# Idempotent and fast when everything is present (no apt-get update then).
# Package postinst scripts are prevented from starting system services (a
# temporary /usr/sbin/policy-rc.d that exits 101; an existing one is put back
# afterwards), and any system postgres/pgbouncer/pgpool service the install
# left running anyway is stopped. The tests start their own throwaway servers
# (internal/testserver) and never use the system services.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo -n)
  else
    echo "ensure-system.sh: must run as root (or with sudo) to install packages" >&2
    exit 1
  fi
fi

# package -> a file that must exist when the package is usable
declare -A probe=(
  [postgresql-15]=/usr/lib/postgresql/15/bin/postgres
  [postgresql-client-15]=/usr/lib/postgresql/15/bin/psql
  [pgbouncer]=/usr/sbin/pgbouncer
  [pgpool2]=/usr/sbin/pgpool
  [openssl]=/usr/bin/openssl
  [libpostgresql-jdbc-java]=/usr/share/java/postgresql.jar
)
order=(postgresql-15 postgresql-client-15 pgbouncer pgpool2 openssl libpostgresql-jdbc-java)

installed() {
  local st
  st=$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)
  [ "$st" = installed ] && [ -e "${probe[$1]}" ]
}

missing=()
for p in "${order[@]}"; do
  installed "$p" || missing+=("$p")
done
# psql on PATH comes from postgresql-client-common's wrapper; make sure it is
# there too (it is a dependency of postgresql-client-15).
if [ ! -x /usr/bin/psql ] && [[ ! " ${missing[*]} " == *" postgresql-client-15 "* ]]; then
  missing+=(postgresql-client-15)
fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

policy=/usr/sbin/policy-rc.d
backup=/usr/sbin/policy-rc.d.pgtls-saved
# A backup left by an interrupted earlier run is the original: put it back.
if [ -e "$backup" ]; then
  "${SUDO[@]}" mv -f "$backup" "$policy"
fi
restore_policy() {
  if [ -e "$backup" ]; then
    "${SUDO[@]}" mv -f "$backup" "$policy"
  else
    "${SUDO[@]}" rm -f "$policy"
  fi
}
if [ -e "$policy" ]; then
  "${SUDO[@]}" mv "$policy" "$backup"
fi
trap restore_policy EXIT
printf '#!/bin/sh\n# temporary, from pgtls tools/ensure-system.sh: no service starts during install\nexit 101\n' |
  "${SUDO[@]}" tee "$policy" >/dev/null
"${SUDO[@]}" chmod 0755 "$policy"

# What already runs before the install is left alone afterwards.
running_before() {
  if command -v pg_lsclusters >/dev/null 2>&1; then
    pg_lsclusters -h 2>/dev/null | awk '$4 == "online" {print "cluster " $1 "/" $2}' || true
  fi
  pgrep -x pgbouncer 2>/dev/null | sed 's/^/pid /' || true
  pgrep -x pgpool 2>/dev/null | sed 's/^/pid /' || true
}
before=$(running_before)

echo "ensure-system.sh: installing ${missing[*]}" >&2
"${SUDO[@]}" apt-get update -qq >&2
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}" >&2

restore_policy
trap - EXIT

# Stop any system service the install started despite policy-rc.d: only
# system instances (identified by their cluster / pid files) that were not
# running before; throwaway test servers are never touched.
stop_pidfile() { # pidfile expected-binary-substring
  local f=$1 want=$2 pid
  [ -r "$f" ] || return 0
  pid=$(head -n1 "$f" | tr -dc 0-9)
  [ -n "$pid" ] || return 0
  grep -qx "pid $pid" <<<"$before" && return 0
  if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$want"; then
    echo "ensure-system.sh: stopping system $want (pid $pid) started by the install" >&2
    "${SUDO[@]}" kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
    [ -d "/proc/$pid" ] && "${SUDO[@]}" kill -KILL "$pid" 2>/dev/null || true
  fi
  return 0
}
if command -v pg_lsclusters >/dev/null 2>&1; then
  pg_lsclusters -h 2>/dev/null | while read -r ver name _port status _rest; do
    if [ "$status" = online ] && ! grep -qx "cluster $ver/$name" <<<"$before"; then
      echo "ensure-system.sh: stopping system cluster $ver/$name started by the install" >&2
      "${SUDO[@]}" pg_ctlcluster "$ver" "$name" stop -m fast >&2 || true
    fi
  done
fi
stop_pidfile /run/postgresql/pgbouncer.pid pgbouncer
stop_pidfile /var/run/postgresql/pgbouncer.pid pgbouncer
stop_pidfile /run/postgresql/pgpool.pid pgpool
stop_pidfile /var/run/postgresql/pgpool.pid pgpool
stop_pidfile /run/pgpool/pgpool.pid pgpool
stop_pidfile /var/run/pgpool/pgpool.pid pgpool

status=0
for p in "${missing[@]}"; do
  if installed "$p" || { [ "$p" = postgresql-client-15 ] && [ -x /usr/bin/psql ]; }; then
    v=$(dpkg-query -W -f='${Version}' "$p")
    echo "installed $p $v"
  else
    echo "ensure-system.sh: $p did not install (${probe[$p]} missing)" >&2
    status=1
  fi
done
exit $status
