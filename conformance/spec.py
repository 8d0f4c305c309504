"""The documented import `conformance.spec` (DESIGN.md, docs/plugins.md), kept stable for outside tools: it is
conformance/core/spec.py itself, the same module object, not a copy."""

import sys

from .core import spec

sys.modules[__name__] = spec
