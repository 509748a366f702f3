"""Control: the parameter schema and the doors into it (keys, OSC, MIDI, presets)."""
