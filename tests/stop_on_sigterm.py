"""Make SIGTERM stop the whole test session (``timeout`` sends SIGTERM).

Without this, a SIGTERM during a Lightning fit is caught by Lightning's own handler, which
fails that one test, and the session carries on with the next. Lightning calls the handler
already installed, so ``pytest.exit`` stops the session wherever the signal lands (inside a
fit, Lightning tears its trainer down and re-raises the exit).
"""

from __future__ import annotations

import signal
from typing import Any

import pytest


def _stop(signum: int, frame: Any) -> None:
    pytest.exit(f"stopped by signal {signum} (SIGTERM): the session ends here", returncode=143)


def install() -> None:
    """Install the handler (main thread only, as the signal module requires)."""
    signal.signal(signal.SIGTERM, _stop)
