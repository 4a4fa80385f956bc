"""Evaluation harness: our extractor and plain trafilatura, side by side, on
the public benchmark sets (read from a path given on the command line).

    make eval DATA=/path/to/eval [OUT=evaluation/results.json]
    .venv/bin/python -m evaluation.run --data PATH --sets trafilatura --limit 100
"""
