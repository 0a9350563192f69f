#!/usr/bin/env bash
# Installs what Offramp's main job and tests need on a fresh Debian machine:
#   - the .NET SDK must already be present (dotnet on PATH);
#   - Debian's dataset-fashion-mnist (real Fashion-MNIST IDX files in /usr/share/datasets/fashion-mnist/).
# Usage: tools/setup.sh [--ci]   (never fails the build for the data set: tests that need it say so)
set -uo pipefail
if ! command -v dotnet >/dev/null 2>&1; then
  echo "setup: the .NET 10 SDK is required (dotnet not found on PATH)" >&2
  exit 1
fi
FM=/usr/share/datasets/fashion-mnist
if [ ! -d "$FM" ] || [ -z "$(ls -A "$FM" 2>/dev/null)" ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing dataset-fashion-mnist (Debian package)"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist) >/tmp/offramp-setup-apt.log 2>&1 \
      || echo "setup: could not install dataset-fashion-mnist (see /tmp/offramp-setup-apt.log); run: sudo apt-get install dataset-fashion-mnist" >&2
  else
    echo "setup: Fashion-MNIST not found in $FM; install it with: sudo apt-get install dataset-fashion-mnist" >&2
  fi
fi
exit 0
