"""Rendering: CPPN evaluation backends, the GL pipeline, windows and the offline renderer."""
