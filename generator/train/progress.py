"""Training progress: a rich bar on a terminal, plain lines at each evaluation otherwise."""

from __future__ import annotations

import sys
import time


class Progress:
    """Reports one run's progress; used as the ``on_batch`` / ``on_eval`` hooks of the loop."""

    def __init__(self, label: str, steps: int, steps_per_epoch: float, stream=None):
        self.label, self.steps, self.steps_per_epoch = label, steps, steps_per_epoch
        self.stream = stream or sys.stderr
        self.interactive = bool(getattr(self.stream, "isatty", lambda: False)())
        self.bar = None

    def __enter__(self):
        self.start = time.perf_counter()
        if self.interactive:
            from rich.console import Console
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress as Bar, TextColumn,
                                       TimeRemainingColumn)
            self.bar = Bar(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                           TextColumn("{task.fields[info]}"), TimeRemainingColumn(),
                           console=Console(file=self.stream))
            self.bar.start()
            self.task = self.bar.add_task(self.label, total=self.steps, info="")
        else:
            print(f"training {self.label}: {self.steps} steps "
                  f"({self.steps / self.steps_per_epoch:.2g} epochs)", file=self.stream, flush=True)
        return self

    def on_batch(self, step: int) -> None:
        if self.bar is not None:
            self.bar.update(self.task, completed=step)

    def on_eval(self, step: int, logs: dict) -> None:
        info = (f"epoch {step / self.steps_per_epoch:.2g} · loss {logs['loss']:.4f} · "
                f"val_acc {logs['val_accuracy']:.4f}")
        if self.bar is not None:
            self.bar.update(self.task, completed=step, info=info)
        else:
            elapsed = time.perf_counter() - self.start
            print(f"  {self.label} step {step}/{self.steps}: {info} ({elapsed:.0f} s)",
                  file=self.stream, flush=True)

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.stop()
        return False
