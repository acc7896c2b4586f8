"""Thin PySide6 view layer over :mod:`screener_gui.core` (the GUI arrives with issue 4)."""
