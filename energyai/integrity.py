"""Model files that prove what they are: a digest, and an optional ed25519 signature, in the file.

Standard library only (the device runtime imports it; signatures need the ``sign`` extra).

An exported ``.onnx`` file ends with one or two protobuf ``metadata_props`` entries that
this module appends after the rest of the serialised model (protobuf merges repeated
fields written at the end, so onnxruntime and ``onnx`` read them as ordinary metadata)::

    body | [energyai.signature = "ed25519:<128 hex>"] | energyai.digest = "sha256:<64 hex>"

- ``energyai.digest`` is the sha256 of every byte before it: the graph, the weights, all
  other metadata (time zone, step, quantile levels...) and the signature entry. It is the
  model's digest with that one entry left out, so it can be published (model cards) and
  checked without protobuf. :class:`~energyai.runtime.OnnxForecaster` recomputes it at
  every load and refuses a file whose digest is missing or wrong.
- ``energyai.signature`` is an ed25519 signature of the body's sha256 by the operator's
  private key (``energyai sign``). A device given the public key accepts only files
  signed by it.

Threat model and limits: ``docs/integrity.md``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from energyai.exceptions import IntegrityError

__all__ = ["DIGEST_KEY", "SIGNATURE_KEY", "Verified", "digest_of", "seal", "sign", "unseal", "verify"]

DIGEST_KEY = "energyai.digest"
SIGNATURE_KEY = "energyai.signature"
_TAG = b"\x72"  # ModelProto field 14 (metadata_props), wire type 2 (length-delimited)


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _entry(key: str, value: str) -> bytes:
    """One ``StringStringEntryProto`` as a ``metadata_props`` field of ModelProto."""
    k, v = key.encode(), value.encode()
    body = b"\x0a" + _varint(len(k)) + k + b"\x12" + _varint(len(v)) + v
    return _TAG + _varint(len(body)) + body


_DIGEST_LEN = len(_entry(DIGEST_KEY, "sha256:" + "0" * 64))
_SIGNATURE_LEN = len(_entry(SIGNATURE_KEY, "ed25519:" + "0" * 128))


def _value(tail: bytes, key: str, prefix: str, hex_len: int) -> str | None:
    """The value of ``tail`` when it is exactly the entry ``key`` = ``prefix`` + hex, else None."""
    expected = _entry(key, prefix + "0" * hex_len)
    head = len(expected) - hex_len
    if len(tail) != len(expected) or tail[:head] != expected[:head]:
        return None
    text = tail[head:].decode("ascii", errors="replace")
    if any(c not in "0123456789abcdef" for c in text):
        return None
    return prefix + text


def digest_of(data: bytes) -> str:
    """``"sha256:<hex>"`` of ``data``."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Verified:
    """What :func:`verify` established about a file.

    Attributes
    ----------
    digest : str
        ``"sha256:<hex>"``, as published in model cards.
    signed : bool
        Whether the file carries a signature (checked only when a public key was given).
    body : bytes
        The serialised model without the appended entries.
    """

    def __init__(self, digest: str, signed: bool, body: bytes) -> None:
        self.digest, self.signed, self.body = digest, signed, body


def unseal(payload: bytes) -> tuple[bytes, str | None, str | None]:
    """Split a file into (body, signature, digest); the entries are None when absent or malformed."""
    digest = _value(payload[-_DIGEST_LEN:], DIGEST_KEY, "sha256:", 64) if len(payload) > _DIGEST_LEN else None
    if digest is None:
        return payload, None, None
    rest = payload[:-_DIGEST_LEN]
    sig = _value(rest[-_SIGNATURE_LEN:], SIGNATURE_KEY, "ed25519:", 128) if len(rest) > _SIGNATURE_LEN else None
    return (rest[:-_SIGNATURE_LEN] if sig else rest), sig, digest


def seal(body: bytes, signature: str | None = None) -> bytes:
    """``body`` with the signature entry (if any) and the digest entry appended."""
    signed = body + (_entry(SIGNATURE_KEY, signature) if signature else b"")
    return signed + _entry(DIGEST_KEY, digest_of(signed))


def verify(payload: bytes, name: str = "model file", public_key: Any = None) -> Verified:
    """Check a file's digest (and signature, when ``public_key`` is given).

    Parameters
    ----------
    payload : bytes
        The whole file.
    name : str
        For messages (the path).
    public_key : bytes, str or Path, optional
        An ed25519 public key in PEM; the file must then carry a valid signature by it.

    Raises
    ------
    IntegrityError
        No digest (a file exported before energyai 0.9, or cut short), a digest that does
        not match (any byte changed), no signature, or a signature that does not verify.
    """
    body, sig, digest = unseal(payload)
    if digest is None:
        raise IntegrityError(
            f"{name} carries no energyai digest: it is damaged, cut short, or was exported by an older energyai. "
            "Re-export it with `energyai export`, or load it with verify=False (--no-verify) if you trust it"
        )
    actual = digest_of(payload[:-_DIGEST_LEN])
    if actual != digest:
        raise IntegrityError(
            f"{name} does not match its own digest (file {actual[:23]}..., recorded {digest[:23]}...): it was changed "
            "after export. Do not use it; copy it again from its source"
        )
    if public_key is not None:
        if sig is None:
            raise IntegrityError(f"{name} is not signed, and a public key was given; sign it with `energyai sign`")
        _check_signature(body, sig, public_key, name)
    return Verified(digest, sig is not None, body)


def _load_key(key: Any, private: bool) -> Any:
    from energyai._optional import import_optional

    serialization = import_optional("cryptography.hazmat.primitives.serialization", "model signing (pip install "
                                    "'energyai[sign]')")
    from energyai.fileio import read_regular_bytes

    data = read_regular_bytes(key, "key file", IntegrityError, limit=1 << 20) \
        if isinstance(key, (str, Path)) and not str(key).startswith("-----") else key
    data = data.encode() if isinstance(data, str) else data
    kind = "private" if private else "public"
    try:
        loaded = serialization.load_pem_private_key(data, password=None) if private else \
            serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as exc:
        raise IntegrityError(f"cannot read the ed25519 {kind} key: {exc}") from exc
    if type(loaded).__name__ not in ("Ed25519PrivateKey", "Ed25519PublicKey"):
        raise IntegrityError(f"the {kind} key is a {type(loaded).__name__}, not an ed25519 key; energyai signs and "
                             "verifies with ed25519 only (openssl genpkey -algorithm ed25519)")
    return loaded


def _check_signature(body: bytes, sig: str, public_key: Any, name: str) -> None:
    from energyai._optional import import_optional

    exceptions = import_optional("cryptography.exceptions", "model signing (pip install 'energyai[sign]')")
    key = _load_key(public_key, private=False)
    try:
        raw = bytes.fromhex(sig.split(":", 1)[1])
    except (ValueError, IndexError) as exc:
        raise IntegrityError(f"{name} carries a malformed signature; do not use it") from exc
    try:
        key.verify(raw, hashlib.sha256(body).digest())
    except exceptions.InvalidSignature as exc:
        raise IntegrityError(f"{name} is not signed by the given public key; do not use it") from exc


def sign(payload: bytes, private_key: Any) -> bytes:
    """The file ``payload`` (already sealed) signed with an ed25519 private key in PEM.

    The signature covers the body's sha256; the digest is recomputed over body and
    signature. An existing signature is replaced.
    """
    checked = verify(payload)
    key = _load_key(private_key, private=True)
    signature = "ed25519:" + key.sign(hashlib.sha256(checked.body).digest()).hex()
    return seal(checked.body, signature)
