"""Video outputs: the finished picture shared with other programs (NDI, Syphon, Spout, a virtual camera)."""
