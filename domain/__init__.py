"""Pure rules of chibo: no I/O, time passed in as ``now``."""
