#!/usr/bin/env bash
# The test command of the README: builds in Release and runs every test project.
set -euo pipefail
cd "$(dirname "$0")"
dotnet test Offramp.slnx -c Release --nologo -v q "$@"
