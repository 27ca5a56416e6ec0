#!/usr/bin/env bash
# Builds editors/vscode/tunelint.vsix: install the locked dependencies, compile, package.
# Needs node >= 20 and npm. With a warm npm cache it runs offline (npm ci --offline works
# too); vsce itself never goes to the network.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --prefer-offline --no-audit --no-fund
npm run compile
# vsce prompts only for a missing repository field or LICENSE, and both are present;
# stdin from /dev/null makes any future prompt fail at once instead of hanging CI.
npx --no-install vsce package --no-yarn --out tunelint.vsix </dev/null
ls -l tunelint.vsix
