"""The documented import `conformance.spec` (docs/plugins.md, the README), kept stable for outside tools: it is
conformance/core/spec.py itself, the same module object, not a copy."""

import sys

from .core import spec

sys.modules[__name__] = spec
