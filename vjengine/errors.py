"""InputError: bad input from a file, a flag or a message, reported as one line without a traceback."""


class InputError(ValueError):
    """Bad input; str() is one line naming the input and what was expected."""
