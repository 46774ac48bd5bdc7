#!/usr/bin/env bash
# Installs every Debian 12 package django-admission needs to build, test and
# benchmark. Safe to run again; installs only what is missing.
set -euo pipefail

packages=(
  build-essential clang meson ninja-build pkg-config
  libmicrohttpd-dev libgnutls28-dev libssl-dev libcjson-dev libyaml-dev
  libcurl4-openssl-dev libcmocka-dev
  openssl curl gnutls-bin libxml2-utils python3 python3-jsonpatch python3-yaml
  wrk nginx-light
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "install-deps: installing ${missing[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# nginx-light starts a system nginx on port 80; the benchmark runs its own
$SUDO systemctl disable --now nginx >/dev/null 2>&1 || $SUDO service nginx stop >/dev/null 2>&1 || true
