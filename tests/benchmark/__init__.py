"""Throughput and latency benchmark of our server, with moto for comparison (not a pytest suite).

Run from the repository root: ``.venv/bin/python -m tests.benchmark`` (``--help`` lists the options;
``--quick`` is a smoke run, ``--calibrate`` measures the load generator itself on a trivial server).
"""
