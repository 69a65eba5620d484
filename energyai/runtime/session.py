"""One way to open an ONNX file in onnxruntime, with no file outside it read.

An ONNX file may keep tensors in *external data* files named inside it; loaded from bytes,
onnxruntime resolves those names against the process's working directory, so a file next to
wherever the device runs would change the forecasts while the model file's seal and
signature still verify. energyai's export never writes external data, so the runtime
refuses it: sessions are created with onnxruntime's external-initializer folder set to a
fresh empty directory, which makes any external reference fail to load.
"""

from __future__ import annotations

import tempfile
from typing import Any

from energyai.exceptions import ArtifactError

__all__ = ["open_session"]


def open_session(ort: Any, payload: bytes, options: Any, source: str) -> Any:
    """An ``onnxruntime.InferenceSession`` on ``payload`` (the file's bytes), CPU provider.

    Parameters
    ----------
    ort : module
        ``onnxruntime``.
    payload : bytes
        The whole ONNX file.
    options : onnxruntime.SessionOptions
        Threads, optimisation level and logging; the external-data folder is set here.
    source : str
        The file's name, for messages.

    Raises
    ------
    ArtifactError
        onnxruntime cannot load the bytes, or the file refers to external data.
    """
    with tempfile.TemporaryDirectory(prefix="energyai-no-external-data-") as empty:
        options.add_session_config_entry("session.model_external_initializers_file_folder_path", empty)
        try:
            return ort.InferenceSession(payload, options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own exception types
            text = str(exc)
            if "xternal data" in text or "model_path must not be empty" in text:
                raise ArtifactError(f"{source} keeps tensors in an external data file, outside the sealed and signed "
                                    "bytes; energyai's export never writes one, so it is refused. Re-export the model "
                                    "as one self-contained file") from None
            raise ArtifactError(f"onnxruntime cannot load {source}: {text.splitlines()[0][:300] if text else exc!r}") \
                from exc
