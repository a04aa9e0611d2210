"""The Prometheus adapter: the only place prometheus_api_client is imported (in ``client``)."""
