"""What the harness writes for people to read. See README.md beside this file for where each part lives."""
