"""Style training: CLIP-guided or statistics-guided optimisation of the engine's CPPN."""
