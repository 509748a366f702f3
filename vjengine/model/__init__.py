"""The CPPN model shared by the engine and the trainer."""
