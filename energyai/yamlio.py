"""YAML for run configurations and ``--set`` values, read safely.

``yaml.safe_load`` already refuses Python tags, but a few lines of anchors and aliases
(``&a [*b, *b, ...]``) expand into billions of nodes and grow until the out-of-memory
killer. Configurations never need aliases, so they are refused before anything is built;
files over 1 MB are refused too, and every YAML error becomes a
:class:`~energyai.exceptions.ConfigError` naming where it came from.
"""

from __future__ import annotations

from typing import Any

from energyai.exceptions import ConfigError

__all__ = ["MAX_YAML_BYTES", "load_yaml"]

#: The largest configuration text accepted (a run file is a few hundred bytes).
MAX_YAML_BYTES = 1_000_000


def load_yaml(text: str, where: str) -> Any:
    """The value of a YAML text, refusing aliases, oversized text and malformed YAML.

    Parameters
    ----------
    text : str
        A configuration file's content or one ``--set`` value.
    where : str
        What it is (a file name, ``"--set trainer.max_steps"``), for messages.

    Raises
    ------
    ConfigError
        Malformed YAML, a tag safe YAML cannot build (``!!python/...``), an alias
        (``*name``) or more than :data:`MAX_YAML_BYTES` of text.
    """
    import yaml

    if len(text) > MAX_YAML_BYTES:
        raise ConfigError(f"{where}: {len(text):,} characters of YAML, over the limit of {MAX_YAML_BYTES:,}; a "
                          "configuration is a few lines")
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent):
                raise ConfigError(f"{where}: YAML aliases (*{event.anchor}) are not accepted in configurations; "
                                  "write the value out")
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(f"{where} is not valid YAML for a configuration: {first}") from None
