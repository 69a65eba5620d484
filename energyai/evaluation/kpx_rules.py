"""Moved to :mod:`energyai.market.kpx_rules` (numpy only); this path stays for code written before."""

from energyai.market.kpx_rules import *  # noqa: F403
from energyai.market.kpx_rules import __all__  # noqa: F401
