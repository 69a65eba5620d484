"""Moved to :mod:`energyai.market.portfolio` (numpy only); this path stays for code written before."""

from energyai.market.portfolio import *  # noqa: F403
from energyai.market.portfolio import __all__  # noqa: F401
