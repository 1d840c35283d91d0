#!/usr/bin/env bash
# Runs every test suite. Placeholder until services start-up lands.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet test Orleans.sln
