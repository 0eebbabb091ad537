"""Why a sweep cannot start or finish, and what is wrong with a cached run file.

Each error's message names what is wrong and what to do about it; the command line prints the
message of any :class:`SweepError` and exits with status 2, without a traceback. Each class
also derives from the built-in exception a caller would expect (a missing package is a
``ModuleNotFoundError``, an unwritable folder an ``OSError``, a bad file a ``ValueError``).
"""

from __future__ import annotations


class SweepError(Exception):
    """The sweep cannot go on; the message says why and how to fix it."""


class MissingExtraError(SweepError, ModuleNotFoundError):
    """An optional dependency is not installed (torch for training, ray for ``--backend ray``)."""


class CacheNotWritableError(SweepError, OSError):
    """The run cache folder cannot be created or written (found before anything trains)."""


class DeviceUnavailableError(SweepError, RuntimeError):
    """``--device cuda`` was asked for where torch (or the Ray cluster) has no GPU."""


class CorpusMismatchError(SweepError, RuntimeError):
    """A worker reads other training bytes than those the run's cache key was made with."""


class IncompletePlanError(SweepError, FileNotFoundError):
    """Assembling a plan whose runs are not all in the cache."""


class InvalidRunFileError(SweepError, ValueError):
    """A cached run file that does not parse or lacks a field (assembling names every one)."""


class InvalidRunFileWarning(UserWarning):
    """An invalid run file was found by a sweep, moved aside (never deleted) and trained again."""
