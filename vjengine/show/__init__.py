"""The show: the frame core and the drivers that run it live, offline and from a journal."""
