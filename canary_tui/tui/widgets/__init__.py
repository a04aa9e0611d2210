"""The control room's widgets, one module per screen region."""
