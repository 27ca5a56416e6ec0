"""Errors the runner reports to the user as a message, not a traceback."""

from __future__ import annotations


class RunnerError(Exception):
    """A run cannot start or go on; the message says why and what to do."""


class DataError(RunnerError):
    """The training data is missing or malformed (raised before any model loads)."""


class ModelLoadError(RunnerError):
    """The base model (or reward model) cannot be found or loaded."""


class OutputDirError(RunnerError):
    """The output directory would lose earlier results, or has nothing to resume."""


class UnsupportedPlanError(RunnerError):
    """The Plan asks for something the runner cannot train (e.g. PPO on TRL >= 1.13)."""


class DiskFullError(RunnerError):
    """The disk filled while the run wrote checkpoints or results."""


class RemoteCodeRefusedError(ModelLoadError):
    """A model needs its repository's Python code, and its trust flag is off (or a dry run)."""
