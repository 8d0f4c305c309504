"""The benchmark: what is timed (workloads.py), on what machine (machine.py: threads, the GEMM peak and the
bandwidth), how (timing.py), our rows (ours.py), the peers' rows (peers.py, keras.py), the bound of each step
(roofline.py) and of its own products (products.py), the run that ties them together (run.py; merge.py joins
the rows of its processes), the goals it is judged by (goals.py) and what it writes (results.py, gpu_page.py)."""
