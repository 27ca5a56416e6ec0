"""The tunelint language server (pygls): diagnostics, quick-fixes, hover and completion."""
