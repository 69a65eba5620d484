"""Moved to :mod:`energyai.market.submission` (numpy only); this path stays for code written before."""

from energyai.market.submission import *  # noqa: F403
from energyai.market.submission import __all__  # noqa: F401
