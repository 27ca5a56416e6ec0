"""tunelint: a linter, language server and runner for LLM fine-tuning configs."""

__version__ = "0.1.0"
