import subprocess
import sys

import energyai


def test_all_is_sorted_and_resolvable():
    # sorted as ruff's RUF022 sorts (isort-style: constants, classes, then functions)
    assert len(set(energyai.__all__)) == len(energyai.__all__)
    for name in energyai.__all__:
        assert getattr(energyai, name) is not None, name


def test_lazy_names_listed_in_all():
    assert set(energyai._LAZY) <= set(energyai.__all__)


def test_import_energyai_is_light():
    code = (
        "import sys, energyai; s = energyai.Schema(target='y');"
        "heavy = [m for m in ('polars', 'statsmodels', 'torch', 'lightning', 'pandas', 'matplotlib') if m in sys.modules];"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_missing_extra_names_pip_command(monkeypatch):
    import pytest

    from energyai._optional import import_optional
    from energyai.exceptions import MissingDependencyError

    monkeypatch.setitem(sys.modules, "optuna", None)
    with pytest.raises(MissingDependencyError, match=r'pip install "energyai\[tune\]"'):
        import_optional("optuna", "hyperparameter search")
