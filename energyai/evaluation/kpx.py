"""Moved to :mod:`energyai.market.kpx` (numpy only); this path stays for code written before."""

from energyai.market.kpx import *  # noqa: F403
from energyai.market.kpx import __all__  # noqa: F401
