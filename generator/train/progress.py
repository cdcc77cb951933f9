"""Training progress: a rich bar on a terminal, plain per-epoch lines otherwise."""

from __future__ import annotations

import sys
import time


def make_callback(label: str, epochs: int, steps_per_epoch: int, stream=None):
    """A Keras callback reporting progress for one run (imports Keras: training only)."""
    import keras

    stream = stream or sys.stderr
    interactive = stream.isatty()

    class Progress(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.start = time.perf_counter()
            if interactive:
                from rich.console import Console
                from rich.progress import (BarColumn, MofNCompleteColumn, Progress as Bar,
                                           TextColumn, TimeRemainingColumn)
                self.bar = Bar(TextColumn("[bold]{task.description}"), BarColumn(),
                               MofNCompleteColumn(), TextColumn("{task.fields[info]}"),
                               TimeRemainingColumn(), console=Console(file=stream), transient=False)
                self.bar.start()
                self.task = self.bar.add_task(label, total=epochs * steps_per_epoch, info="")
            else:
                print(f"training {label}: {epochs} epochs × {steps_per_epoch} steps", file=stream, flush=True)

        def on_train_batch_end(self, batch, logs=None):
            if interactive:
                done = self.epoch * steps_per_epoch + batch + 1
                self.bar.update(self.task, completed=done)

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            info = (f"loss {logs.get('loss', float('nan')):.4f} · "
                    f"val_acc {logs.get('val_accuracy', float('nan')):.4f}")
            if interactive:
                self.bar.update(self.task, completed=(epoch + 1) * steps_per_epoch,
                                info=f"epoch {epoch + 1}/{epochs} · {info}")
            else:
                elapsed = time.perf_counter() - self.start
                print(f"  {label} epoch {epoch + 1}/{epochs}: {info} ({elapsed:.0f} s)",
                      file=stream, flush=True)

        def on_train_end(self, logs=None):
            if interactive:
                self.bar.stop()

    return Progress()
