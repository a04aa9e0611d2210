# Shortcuts; the scripts do the work (they need only bash and Python 3.11+).
.PHONY: demo test lint typecheck bench screenshots clean

demo:
	scripts/demo

test:
	scripts/test

lint:
	scripts/venv test
	.venv/bin/ruff check canary_tui tests benchmarks
	.venv/bin/ruff format --check canary_tui tests benchmarks

typecheck:
	scripts/venv test
	.venv/bin/mypy

bench:
	scripts/venv test
	.venv/bin/python benchmarks/run_all.py

screenshots:
	scripts/screenshots

clean:
	rm -rf .venv build dist .pytest_cache .mypy_cache .ruff_cache .hypothesis
