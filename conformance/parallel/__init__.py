"""Data parallel against the full batch. See README.md beside this file for where each part lives."""
