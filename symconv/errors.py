"""The one error root of symconv and its few children.

Every error a user can cause derives from :class:`SymconvError`; the CLI catches it at the top, prints its
message on one line and exits with status 2. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class SymconvError(Exception):
    """Root of every error symconv raises on purpose."""


class SpecError(SymconvError):
    """A convolution configuration that cannot exist (a field with an impossible value)."""


class InputError(SymconvError):
    """A user's input file or array that is unusable: names the field and the problem."""


class UnsupportedError(SymconvError):
    """A request that is meaningful but not built yet."""


class DerivationError(SymconvError):
    """A rewrite step or a closed form that failed its check: the engine refuses to give a wrong result."""
