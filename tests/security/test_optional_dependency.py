"""``cryptography`` is optional: the core never imports it; the package says what to install."""

from __future__ import annotations

import subprocess
import sys


def run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )


def test_import_ocpp_core_does_not_import_cryptography() -> None:
    result = run(
        "import sys, ocpp_core, ocpp_core.rpc, ocpp_core.errors\n"
        "assert 'cryptography' not in sys.modules, 'cryptography imported'\n"
        "assert 'ocpp_core.security' not in sys.modules\n"
        "print('ok')"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_security_without_cryptography_names_the_extra() -> None:
    result = run(
        "import sys\n"
        "sys.modules['cryptography'] = None  # as if it were not installed\n"
        "try:\n"
        "    import ocpp_core.security\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    assert result.returncode == 0, result.stderr
    assert "ocpp-core[security]" in result.stdout
