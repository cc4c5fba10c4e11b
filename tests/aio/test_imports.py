"""Layering: ``ocpp_core.aio`` imports no WebSocket library, and the core never imports it."""

from __future__ import annotations

import subprocess
import sys


def modules_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    return set(out.split())


def test_aio_imports_no_websocket_library() -> None:
    loaded = modules_after("import ocpp_core.aio")
    assert not {
        name for name in loaded if name.split(".")[0] in {"websockets", "aiohttp", "starlette"}
    }


def test_the_core_never_imports_aio() -> None:
    loaded = modules_after(
        "import ocpp_core, ocpp_core.rpc, ocpp_core.smart_charging, ocpp_core.v201, "
        "ocpp_core.errors"
    )
    assert "ocpp_core.aio" not in loaded
    assert "asyncio" not in loaded


def test_the_websockets_adapter_is_separate() -> None:
    loaded = modules_after("import ocpp_core.aio.websockets")
    assert "websockets.asyncio.server" in loaded
