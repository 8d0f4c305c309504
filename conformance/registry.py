"""The documented import `conformance.registry` (docs/plugins.md, the README), kept stable for outside tools: it is
conformance/core/registry.py itself, the same module object, not a copy."""

import sys

from .core import registry

sys.modules[__name__] = registry
