"""Terminal progress for training: a rich progress bar showing loss and similarity."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from vjengine.train.loop import StepReport


@contextmanager
def progress_bar(label: str, steps: int, enabled: bool = True) -> Iterator[Callable[[StepReport], None]]:
    """A step callback that advances a progress bar (or does nothing when disabled)."""
    if not enabled:
        yield lambda report: None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[status]}"), TimeRemainingColumn())
    with Progress(*columns) as progress:
        task = progress.add_task(label, total=steps, status="")

        def on_step(report: StepReport) -> None:
            progress.update(task, completed=report.step, total=report.steps, status=(
                f"{report.size}px loss {report.loss:.4f} sim {report.similarity:.4f}"))

        yield on_step
