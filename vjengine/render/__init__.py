"""Rendering: CPPN evaluation backends, the blend of two styles, the GL pipeline and windows."""

import contextlib
import logging

# torch.compile loads libtriton where it is installed; its bundled LLVM segfaults when loaded after
# Mesa's llvmpipe has loaded its own LLVM, so it is loaded here, before any GL context can exist.
with contextlib.suppress(ImportError):
    import triton  # noqa: F401

# torch warns on every first compile that no CUDA runtime exists, which is expected on CPU machines.
logging.getLogger("torch.utils.cpp_extension").setLevel(logging.ERROR)
