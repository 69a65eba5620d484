"""Tests of energyai.market (numpy only), mirroring the package."""
