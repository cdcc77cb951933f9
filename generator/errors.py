"""One exception hierarchy, caught once at the CLI (see ``generator.cli``).

Every message is one line that says what was wrong and what to do, in the
style of Keras 3: ``Invalid --epochs. Expected a positive integer. Received: epochs=-1``.
"""

from __future__ import annotations


class GeneratorError(Exception):
    """Base class: the CLI prints ``error: <message>`` and exits with ``exit_code``."""

    exit_code = 1


class UsageError(GeneratorError):
    """A bad command-line argument or configuration value."""

    exit_code = 2


class DataError(GeneratorError):
    """The data could not be loaded or failed validation."""


class TrainingError(GeneratorError):
    """Training or the model cache failed."""


class SiteError(GeneratorError):
    """Rendering the pages or building the MkDocs site failed."""


class MissingDependencyError(GeneratorError):
    """An optional heavy dependency is not installed; the message names the fix."""
