"""``python -m ocpp_core._cli``: the ``ocpp-core`` command."""

import sys

from ocpp_core._cli import main

sys.exit(main())
