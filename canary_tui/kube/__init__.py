"""The Kubernetes adapter: the only place the kubernetes client is imported (in ``client``)."""
