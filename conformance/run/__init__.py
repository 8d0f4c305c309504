"""Run plumbing shared by every resumable command: the runner (progress, Ctrl-C and SIGTERM, --resume), its
checkpoint, results written atomically, and child processes. See README.md beside this file."""
