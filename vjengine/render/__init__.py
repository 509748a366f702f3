"""Rendering: CPPN evaluation backends, the GL pipeline, windows and the offline renderer."""

import contextlib

# torch.compile loads libtriton where it is installed; its bundled LLVM segfaults when loaded after
# Mesa's llvmpipe has loaded its own LLVM, so it is loaded here, before any GL context can exist.
with contextlib.suppress(ImportError):
    import triton  # noqa: F401
