"""The kit for a new backend: `quartet new-backend NAME` writes a package folder from the templates here
(the course's functions as stubs, the entry point, a test that runs the conformance suite on it)."""
