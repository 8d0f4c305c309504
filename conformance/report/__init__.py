"""What the harness writes for people to read: the check's results (check.py), the course's replication
page and cost curves (course.py), the implementations' code side by side (code.py) and the one
self-contained HTML report of everything (html.py)."""
