"""The benchmark: what is timed (workloads.py), on what machine (machine.py: threads, the GEMM peak and the
bandwidth), how (timing.py), our rows (ours.py), the peers' rows (peers.py), the bound of each step
(roofline.py), the run that ties them together (run.py) and what it writes (results.py)."""
