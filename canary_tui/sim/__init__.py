"""The embedded simulation behind ``demo``: a cluster of pods and golden signals, seeded."""
