#!/usr/bin/env bash
# System packages the test suite uses beyond Python: Neovim for the real-editor LSP test.
# Idempotent; does nothing when they are present. Without root or apt, the test skips.
set -u
if ! command -v nvim >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "installing neovim (for tests/editors/test_neovim.py)"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq neovim >/dev/null \
      || echo "warning: neovim could not be installed; the Neovim test will skip"
  else
    echo "note: nvim not found and apt-get unavailable; the Neovim test will skip"
  fi
fi
exit 0
