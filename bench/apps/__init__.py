"""Reference apps served by gunicorn in scenarios (a) and (b)."""
