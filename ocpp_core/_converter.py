"""A cattrs converter per version, with the generated fast path as its hooks."""

from __future__ import annotations

from typing import Any

import cattrs

from ocpp_core._api import encode_error, payload_error, run_reporting
from ocpp_core._codecs import codec as _codec
from ocpp_core._runtime import STRICT, DecodeFailure, DecodeOptions
from ocpp_core.versions import OcppVersion, VersionLike

__all__ = ["make_converter"]


def make_converter(
    version: VersionLike, *, options: DecodeOptions | None = None
) -> cattrs.Converter:
    """Return a :class:`cattrs.Converter` for every generated type of ``version``.

    ``converter.structure(wire_dict, ocpp_core.v201.BootNotificationRequest)``
    checks the payload like :func:`decode_payload` and raises
    :class:`PayloadError` on failure; ``converter.unstructure(message)`` returns
    the wire dict like :func:`encode_payload`. The hooks are the generated
    decoders and encoders, so the converter is as fast as the direct functions.

    >>> from ocpp_core.v16 import HeartbeatResponse
    >>> conv = make_converter("1.6")
    >>> msg = conv.structure({"currentTime": "2026-01-01T00:00:00Z"}, HeartbeatResponse)
    >>> conv.unstructure(msg)
    {'currentTime': '2026-01-01T00:00:00Z'}
    """
    parsed = OcppVersion.parse(version)
    codec = _codec(parsed)
    opts = options or STRICT
    converter = cattrs.Converter()

    def structure_hook(decoder: Any) -> Any:
        def structure(value: Any, _type: Any) -> Any:
            if opts.on_departure is not None:
                return run_reporting(decoder, value, opts, parsed)
            try:
                return decoder(value, opts)
            except DecodeFailure as failure:
                raise payload_error(parsed, failure) from None

        return structure

    def unstructure_hook(cls: type) -> Any:
        encoder = codec.encoder(cls)

        def unstructure(value: Any) -> Any:
            try:
                return encoder(value)  # type: ignore[misc]
            except DecodeFailure as failure:
                raise encode_error(codec, value, failure) from None

        return unstructure

    # Hook factories: each class's decoder and encoder is compiled when the
    # converter first meets the class.
    converter.register_structure_hook_factory(
        lambda cls: isinstance(cls, type) and cls in codec.names,
        lambda cls: structure_hook(codec.decoder(cls)),
    )
    converter.register_unstructure_hook_factory(
        lambda cls: isinstance(cls, type) and cls in codec.names,
        unstructure_hook,
    )
    return converter
