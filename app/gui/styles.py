"""Colours of the window's messages, shared by the screens (kept apart so that the Log On
dialog, the first thing shown, needs nothing else of the window)."""

ERROR_STYLE = "color: #b00020;"
WARNING_STYLE = "color: #8a5a00;"
