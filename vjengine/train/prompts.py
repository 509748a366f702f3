"""Parse weighted prompts ("a:1 | b:0.5"), negative prompts and prompt files."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

from vjengine.errors import InputError

MAX_PROMPT_FILE_BYTES = 64 << 10
_WEIGHTED = re.compile(r"^(?P<text>.*?)\s*:\s*(?P<weight>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)$")


@dataclass(frozen=True)
class WeightedPrompt:
    """One text target and how strongly to pull toward it (its weight is always positive)."""

    text: str
    weight: float = 1.0


@dataclass(frozen=True)
class PromptSet:
    """What to steer toward and what to steer away from."""

    positive: tuple[WeightedPrompt, ...] = ()
    negative: tuple[WeightedPrompt, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.positive or self.negative)

    def display(self) -> str:
        """The positive prompts in the same "a:1 | b:0.5" syntax they were given in."""
        return format_prompts(self.positive)

    def table(self) -> dict:
        """The prompts as stored in style.toml."""
        return {
            "prompts": [{"text": p.text, "weight": p.weight} for p in self.positive],
            "negative_prompts": [{"text": p.text, "weight": p.weight} for p in self.negative],
        }


def format_prompts(prompts: tuple[WeightedPrompt, ...]) -> str:
    """"a | b:0.5": weights of 1 are left out."""
    return " | ".join(p.text if p.weight == 1.0 else f"{p.text}:{p.weight:g}" for p in prompts)


def parse_prompts(text: str, source: str = "prompt") -> tuple[WeightedPrompt, ...]:
    """Split "a:1 | b:0.5 | c:-1" into weighted prompts; a missing weight is 1.

    Only a trailing ":number" is a weight, so "style: neon" stays one prompt. Raises
    InputError naming `source` for an empty part or a zero/non-finite weight.
    """
    prompts = []
    for part in text.split("|"):
        part = part.strip()
        if not part:
            raise InputError(f"{source}: empty prompt between '|' separators in {text!r}")
        match = _WEIGHTED.match(part)
        body, weight = (match["text"], float(match["weight"])) if match else (part, 1.0)
        if not body:
            raise InputError(f"{source}: prompt {part!r} has a weight but no text")
        if not math.isfinite(weight) or weight == 0:
            raise InputError(f"{source}: prompt {body!r} needs a finite non-zero weight, got {weight}")
        prompts.append(WeightedPrompt(body, weight))
    return tuple(prompts)


def prompt_set(prompt: str = "", negative: str = "", source: str = "prompt") -> PromptSet:
    """Positive and negative prompts; a negative weight in `prompt` makes that part negative."""
    parsed = parse_prompts(prompt, source) if prompt.strip() else ()
    avoided = parse_prompts(negative, f"{source} (negative)") if negative.strip() else ()
    positive = tuple(p for p in parsed if p.weight > 0)
    negative_parts = tuple(WeightedPrompt(p.text, -p.weight) for p in parsed if p.weight < 0)
    negative_parts += tuple(WeightedPrompt(p.text, abs(p.weight)) for p in avoided)
    return PromptSet(positive, negative_parts)


def read_prompt_file(path: str | Path) -> str:
    """A prompt file's prompts joined as "a | b:0.5": one per line, '#' starts a comment line."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: prompt file not found (expected a UTF-8 text file, one prompt a line)")
    if path.stat().st_size > MAX_PROMPT_FILE_BYTES:
        raise InputError(f"{path}: prompt file larger than {MAX_PROMPT_FILE_BYTES} bytes")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: prompt file is not UTF-8 text ({exc.reason})") from None
    parts = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    if not parts:
        raise InputError(f"{path}: prompt file holds no prompts (one 'text[:weight]' a line)")
    joined = " | ".join(parts)
    parse_prompts(joined, str(path))
    return joined
