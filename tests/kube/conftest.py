"""The Kubernetes tests' fixtures live in ``kubefixtures`` (the watch tests use them too)."""

from kubefixtures import fake, kenv, write_plan  # noqa: F401 - pytest fixtures
