"""Neural architectures: a registry of config dataclasses and pure ``nn.Module`` s.

>>> from energyai.models import available_models
>>> available_models()  # doctest: +SKIP
['dlinear', 'lstm', 'nhits', 'nlinear', 'patchtst', 'tide']
"""

from energyai._optional import import_optional

import_optional("torch", "neural models")

from energyai.models.base import ModelSpec, available_models, get_model, make_config, register  # noqa: E402

__all__ = ["ModelSpec", "available_models", "get_model", "make_config", "register"]
