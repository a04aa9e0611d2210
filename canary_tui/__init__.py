"""canary-tui: watch and steer a canary release from the terminal."""

__version__ = "0.1.0"
