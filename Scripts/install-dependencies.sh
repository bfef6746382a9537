#!/usr/bin/env bash
# Installs the Debian packages SwiftTune builds against, asking dpkg first so a ready machine does no network work.
set -euo pipefail
packages=(libopenblas-dev liblapacke-dev libomp-dev pkg-config)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "installing: ${missing[*]}"
    sudo_cmd=""
    [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}"
fi
command -v swift >/dev/null || { echo "swift not found: install Swift 6.x (https://swift.org/install)" >&2; exit 1; }
