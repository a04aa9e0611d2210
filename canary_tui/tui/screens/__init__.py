"""The control room's other screens: charts, help, and the confirmation modal."""
