"""CPPN evaluation backends, one module each; vjengine.render.evaluate is their one interface."""
