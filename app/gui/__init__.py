"""The Qt window: a thin shell over app.core."""
