"""Worker side: nbgrader's ``Execute``, checkpointing the notebook after every code cell.

It replaces ``Execute`` in the scratch course's ``Autograde.autograde_preprocessors``, so that
whatever happens to the process tree (a time-out kill, a dead kernel, a crash in nbgrader), the
cells that did run and their outputs are on disk for the coordinator to replay. It also caps each
cell's stream output while it arrives and lists files the notebook deleted.

Files written, per notebook ``NAME`` in ``progress_directory``: ``NAME.ipynb`` (the notebook as far
as it ran) and ``NAME.json`` (``status``: running / done / kernel died / error, ``reached``: index
of the last code cell that finished, ``flooded``, ``deleted``).
"""

import collections
import json
import os

import nbformat
from nbclient.exceptions import DeadKernelError
from nbformat.v4 import new_output
from traitlets import Integer, Unicode

from nbgrader.preprocessors import Execute


def listing(directory):
    found = set()
    for root, dirs, files in os.walk(directory):
        dirs[:] = [d for d in dirs if d not in ("autograded", ".ipynb_checkpoints", "__pycache__")]
        found.update(os.path.relpath(os.path.join(root, name), directory) for name in files)
    return found


class CheckpointingExecute(Execute):

    progress_directory = Unicode("", help="where NAME.ipynb / NAME.json are written").tag(config=True)
    watch_directory = Unicode("", help="files deleted under here (and in the working folder) are reported"
                              ).tag(config=True)
    max_output_bytes = Integer(1_000_000, help="stream output kept per cell").tag(config=True)

    def _save(self, nb):
        if not self.progress_directory:
            return
        os.makedirs(self.progress_directory, exist_ok=True)
        base = os.path.join(self.progress_directory, self._name)
        nbformat.write(nb, base + ".ipynb.tmp")
        os.replace(base + ".ipynb.tmp", base + ".ipynb")
        with open(base + ".json.tmp", "w") as handle:
            json.dump(self._progress, handle)
        os.replace(base + ".json.tmp", base + ".json")

    def _listings(self, workdir):
        found = {("work", path) for path in listing(workdir)}
        if self.watch_directory:
            found |= {("course", path) for path in listing(self.watch_directory)}
        return found

    def preprocess(self, nb, resources, km=None):
        self._name = resources.get("unique_key", "notebook")
        self._stream_bytes = collections.Counter()
        self._dropped = collections.Counter()
        workdir = resources.get("metadata", {}).get("path") or os.getcwd()
        before = self._listings(workdir)
        self._progress = {"status": "running", "reached": -1, "flooded": {}, "deleted": []}
        self._save(nb)
        try:
            nb, resources = super().preprocess(nb, resources, km)
        except DeadKernelError as error:
            self._finish(nb, workdir, before, "kernel died", str(error))
            raise
        except Exception as error:
            self._finish(nb, workdir, before, "error", f"{type(error).__name__}: {error}")
            raise
        self._finish(nb, workdir, before, "done")
        return nb, resources

    def _finish(self, nb, workdir, before, status, error=None):
        after = self._listings(workdir)
        self._progress.update(status=status, error=error,
                              deleted=sorted(f"{where}:{path}" for where, path in before - after),
                              flooded={str(k): v for k, v in self._dropped.items()})
        self._save(nb)

    def preprocess_cell(self, cell, resources, index):
        result = super().preprocess_cell(cell, resources, index)
        if cell.cell_type == "code":
            self._progress["reached"] = index
            self._progress["flooded"] = {str(k): v for k, v in self._dropped.items()}
            self._save(self.nb)
        return result

    def output(self, outs, msg, display_id, cell_index):
        if msg["msg_type"] == "stream":
            size = len(msg["content"].get("text", ""))
            self._stream_bytes[cell_index] += size
            if self._stream_bytes[cell_index] > self.max_output_bytes:
                if not self._dropped[cell_index]:
                    outs.append(new_output("stream", name="stdout", text=(
                        f"\n[grader: this cell printed more than {self.max_output_bytes:,} characters; "
                        "the rest of its output was dropped]\n")))
                self._dropped[cell_index] += size
                return None
        return super().output(outs, msg, display_id, cell_index)
