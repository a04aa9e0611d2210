"""The watcher's cluster client: ``get`` and ``list``, nothing else. Read-only by construction.

``ClusterView`` is what the watch code is handed. It has no method that creates, replaces, patches,
deletes or reviews anything, and no attribute holding a client that could: it keeps a single
function that sends GET requests (``kube.client.ReadClient.get``, itself GET only). So no bug in the
screen or the follower can write to the cluster, whatever it calls. ``tests/watch`` checks the class
and the requests the fake API server saw.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..kube.client import Identity

Fetch = Callable[[str, "dict[str, str] | None"], "dict[str, Any]"]


class ClusterView:
    """Reads one cluster. ``get`` an object or ``list`` a collection (both HTTP GET)."""

    __slots__ = ("__fetch", "identity")

    def __init__(self, fetch: Fetch, identity: Identity) -> None:
        self.__fetch = fetch
        self.identity = identity

    @classmethod
    def connect(cls, context: str | None = None) -> ClusterView:
        """A view through the kubeconfig's ``context``; ConfigError when there is no usable one."""
        from ..kube.client import connect

        client = connect(context, read_only=True)  # a ReadClient: no write method either
        get = client.get

        def fetch(path: str, query: dict[str, str] | None) -> dict[str, Any]:
            return get(path, query)

        return cls(fetch, client.identity)

    def get(self, path: str, query: dict[str, str] | None = None) -> dict[str, Any]:
        """GET ``path`` (an object, or a collection with ``query``). Raises kube.client.ApiError."""
        return self.__fetch(path, query)

    def list(self, path: str, query: dict[str, str] | None = None) -> list[dict[str, Any]]:
        """The items of a collection (GET, e.g. with a ``labelSelector``)."""
        return list(self.__fetch(path, query).get("items") or [])
