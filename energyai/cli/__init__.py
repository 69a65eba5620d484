"""The ``energyai`` command line."""
