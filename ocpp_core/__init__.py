"""ocpp_core: typed OCPP messages, a sans-I/O OCPP-J session and a smart-charging engine.

The typed-message layer:

* :func:`decode_payload` / :func:`encode_payload`: wire dict <-> generated,
  frozen attrs classes (``ocpp_core.v16``, ``v20``, ``v201``, ``v21``),
  checking every schema constraint in one pass;
* :func:`validate_payload`: the reference check with jsonschema;
* :func:`make_converter`: a cattrs converter with the same hooks;
* :class:`PayloadError` and the CallError code table (:func:`payload_error_code`).

``ocpp_core.rpc`` holds the OCPP-J framing and the sans-I/O session;
``ocpp_core.smart_charging`` the profile validation, store and composite
schedules.

``import ocpp_core`` does not import jsonschema, nor any version package until
it is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ocpp_core._api import (
    ActionInfo,
    Kind,
    action_info,
    actions,
    decode_payload,
    encode_payload,
    message_meta,
)
from ocpp_core._runtime import DecodeOptions, Departure, MessageMeta, UnknownEnumValue
from ocpp_core.errors import (
    EncodeError,
    ErrorCode,
    FrameError,
    FrameRule,
    HandshakeError,
    LocalProtocolError,
    OcppError,
    PayloadError,
    PayloadRule,
    RemoteProtocolError,
    UnknownActionError,
    error_codes_for,
    frame_error_code,
    payload_error_code,
    respell_error_code,
)
from ocpp_core.versions import OcppVersion, Role, VersionLike

if TYPE_CHECKING:
    import cattrs

__all__ = [
    "ActionInfo",
    "DecodeOptions",
    "Departure",
    "EncodeError",
    "ErrorCode",
    "FrameError",
    "FrameRule",
    "HandshakeError",
    "Kind",
    "LocalProtocolError",
    "MessageMeta",
    "OcppError",
    "OcppVersion",
    "PayloadError",
    "PayloadRule",
    "RemoteProtocolError",
    "Role",
    "UnknownActionError",
    "UnknownEnumValue",
    "VersionLike",
    "__version__",
    "action_info",
    "actions",
    "decode_payload",
    "encode_payload",
    "error_codes_for",
    "frame_error_code",
    "make_converter",
    "message_meta",
    "payload_error_code",
    "respell_error_code",
    "validate_payload",
]

__version__ = "0.1.0"
"""The version of this package."""


def validate_payload(
    version: VersionLike, action: str, kind: str, payload: object
) -> list[PayloadError]:
    """Check ``payload`` with jsonschema against the bundle; return every error.

    See :func:`ocpp_core._validate.validate_payload`; jsonschema is imported
    on first use.
    """
    from ocpp_core._validate import validate_payload as _validate  # noqa: PLC0415

    return _validate(version, action, kind, payload)


def make_converter(
    version: VersionLike, *, options: DecodeOptions | None = None
) -> cattrs.Converter:
    """Return a cattrs converter for every generated type of ``version``.

    See :func:`ocpp_core._converter.make_converter`.
    """
    from ocpp_core._converter import make_converter as _make  # noqa: PLC0415

    return _make(version, options=options)
