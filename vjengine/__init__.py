"""vjengine: a live VJ engine whose visuals are small neural networks (CPPNs) driven by sound."""

__version__ = "0.1.0"
