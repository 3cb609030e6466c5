#!/usr/bin/env bash
# Installs the Debian packages named on the command line when a command they provide is missing.
# Usage: scripts/ensure-packages.sh COMMAND=PACKAGE [COMMAND=PACKAGE ...]
#   e.g. scripts/ensure-packages.sh chromium=chromium nginx=nginx-light caddy=caddy h2load=nghttp2-client
# Only Debian's apt is used; nothing else is downloaded.
set -euo pipefail

missing=()
for pair in "$@"; do
  command="${pair%%=*}"
  package="${pair#*=}"
  command -v "$command" >/dev/null 2>&1 || missing+=("$package")
done
[ "${#missing[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "missing Debian packages: ${missing[*]} (install them with: apt-get install -y ${missing[*]})" >&2
  exit 1
fi

echo "installing Debian packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -qq "${missing[@]}" >/dev/null; then
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi
