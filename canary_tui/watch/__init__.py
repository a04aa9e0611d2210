"""``canary-tui watch``: follow a release read-only, from its state document (a file or a ConfigMap).

A ``Follower`` polls a source (``sources``) in a thread and hands the control room snapshots, the way
a controller does; it decides nothing and writes nothing. The cluster is reached only through
``view.ClusterView``, a client with no method that writes.
"""
