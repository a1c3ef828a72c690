"""The eval suite (``assistant eval``): question sets, metrics, support judges, the run and its report.

- ``sets``: question files (the project's own and the benchmarks' format)
- ``metrics``: per-question scoring and ``METRICS``, the one table of what a run reports
- ``judges``: does a passage support a claim? (the offline verifier, or an LLM), each measured on labelled pairs
- ``run``: ``run_eval(assistant, EvalConfig) -> EvalResult``
- ``report``: report.md and report.png
"""

from .run import EvalConfig, EvalResult, run_eval

__all__ = ["EvalConfig", "EvalResult", "run_eval"]
