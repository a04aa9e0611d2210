"""The Prometheus tests' fixtures, defined in promhelp.py (a module of its own name, so that test
files can import its helpers without colliding with other directories' conftest modules)."""

from promhelp import _prometheus_installed, exporter, fake, istio, own_prom, prom, shared_prom, spawn  # noqa: F401
