#!/usr/bin/env bash
# Installs the Debian packages the test suite starts for real (redis, etcd, haproxy, nginx, caddy,
# prometheus, chromium, shellcheck), only when something is missing. Needs root (CI and dev boxes are root).
set -euo pipefail

declare -A PKG=(
  [redis-server]=redis-server [etcd]=etcd-server [etcdctl]=etcd-client [haproxy]=haproxy [nginx]=nginx-light
  [caddy]=caddy [prometheus]=prometheus [promtool]=prometheus [chromium]=chromium [shellcheck]=shellcheck
  [openssl]=openssl [flock]=util-linux [curl]=curl [systemd-analyze]=systemd
)
missing=()
for cmd in "${!PKG[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || missing+=("${PKG[$cmd]}")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "system packages: all present"
  exit 0
fi
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
echo "system packages: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The packages' own services are not wanted: tests start their own instances on loopback ports.
for svc in redis-server etcd haproxy nginx caddy prometheus; do
  $SUDO systemctl disable --now "$svc" >/dev/null 2>&1 || true
  $SUDO service "$svc" stop >/dev/null 2>&1 || true
done
