"""The documented import `conformance.backends` (docs/plugins.md, the README), kept stable for outside tools: it is
conformance/core/backends.py itself, the same module object, not a copy."""

import sys

from .core import backends

sys.modules[__name__] = backends
