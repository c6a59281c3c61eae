"""Benchmarks of Partanum on this machine: `python -m bench` (or `make bench`).

Each benchmark is a module with `run(bench, database) -> list[Result]`, listed in
`bench.__main__.BENCHMARKS`; shared set-up (vhost, database, service process)
lives in `bench.support`. Figures go to stdout and bench/results/latest.txt as
`name: value unit` lines; context goes to stderr.
"""
