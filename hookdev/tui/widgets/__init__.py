"""Widgets of the inspector: status bar, exchange list, detail tabs."""
