"""The benchmark. See README.md beside this file for where each part lives."""
