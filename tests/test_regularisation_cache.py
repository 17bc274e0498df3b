"""Chapter 07b's four trainings in the course cache (course.reference.regularisation_runs): each is
computed once, two builds asking at once share the work instead of one waiting for all of it,
and the records come back typed (fast: no training, the computations are stand-ins)."""

import multiprocessing
import sys
import time
from pathlib import Path

import pytest

from course import reference
from course.reference import RegularisedRun, Remedy


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setattr(reference, "CACHE", tmp_path)
    return tmp_path


def _entries(folder, log, seconds):
    """Four stand-in entries; each computation logs which process did it."""
    import os

    def compute(name):
        with open(log, "a") as out:
            out.write(f"{os.getpid()} {name}\n")
        time.sleep(seconds)
        return {"name": name}
    return [(Path(folder) / f"{name}.json", lambda name=name: compute(name),
             reference._write_json, reference._read_json) for name in "abcd"]


def _ask(folder, log, seconds):
    from course import reference
    return reference._cached_many(_entries(folder, log, seconds))


def _computed_by(cache):
    log = cache / "log.txt"
    # under pytest-xdist the worker's __main__ has no __spec__, which spawn reads; None: nothing to re-import
    main = sys.modules["__main__"]
    if not hasattr(main, "__spec__"):
        main.__spec__ = None
    context = multiprocessing.get_context("spawn")
    with context.Pool(2) as pool:
        results = pool.starmap(_ask, [(str(cache), str(log), 0.5)] * 2)
    assert results == [[{"name": name} for name in "abcd"]] * 2
    return [line.split() for line in log.read_text().splitlines()]


def test_two_builds_share_the_four_entries(cache):
    computed = _computed_by(cache)
    assert sorted(name for _, name in computed) == list("abcd")  # each entry computed once
    assert len({pid for pid, _ in computed}) == 2  # by both processes, not by one of them alone


def _while_a_is_busy(cache, ask, wait=20):
    """Run ``ask(entries)`` in a thread while entry "a" is locked, as if another build were
    computing it; return what was computed before "a" was done, and the result."""
    import threading
    log = cache / "log.txt"
    entries = _entries(cache, log, 0)
    results = []
    with reference._locked(entries[0][0]):
        thread = threading.Thread(target=lambda: results.append(ask(entries)))
        thread.start()
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and len(_names(log)) < 3:
            time.sleep(0.05)
        time.sleep(0.5)  # time for anything else it would do
        before = _names(log)
        reference._write_json({"name": "a"}, entries[0][0])  # the other build finishes "a"
    thread.join(timeout=20)
    return before, results, _names(log)


def _names(log):
    return [line.split()[1] for line in log.read_text().splitlines()] if log.exists() else []


def test_a_busy_entry_is_skipped_not_waited_for(cache):
    before, results, computed = _while_a_is_busy(cache, reference._cached_many)
    assert before == ["b", "c", "d"] and computed == ["b", "c", "d"]  # "a" came from the other build
    assert results == [[{"name": name} for name in "abcd"]]


def test_waiting_for_a_busy_entry_is_caught(cache):
    """The check above can fail: _cached alone waits for "a" and computes nothing meanwhile."""
    before, results, computed = _while_a_is_busy(
        cache, lambda entries: [reference._cached(*entry) for entry in entries], wait=2)
    assert before == [] and computed == ["b", "c", "d"]
    assert results == [[{"name": name} for name in "abcd"]]


def test_one_process_alone_computes_all(cache):
    log = cache / "log.txt"
    assert _ask(cache, log, 0) == [{"name": name} for name in "abcd"]
    assert len(log.read_text().splitlines()) == 4
    assert _ask(cache, log, 0) == [{"name": name} for name in "abcd"]  # the second time: read back
    assert len(log.read_text().splitlines()) == 4


def _record(remedy, epochs=3, best=2):
    history = {key: [0.5, 0.4, 0.45][:epochs] for key in
               ("loss", "cross_entropy", "val_loss", "val_cross_entropy")}
    history.update(accuracy=[0.8, 0.85, 0.9][:epochs], val_accuracy=[0.8, 0.82, 0.81][:epochs])
    return {"remedy": remedy.value, "history": history, "epochs_trained": epochs, "best_epoch": best,
            "test_accuracy": 0.8, "test_cross_entropy": 0.5, "seconds": 1.0}


def test_runs_are_read_from_the_cache_as_typed_records(cache):
    for remedy in Remedy:
        reference._write_json(_record(remedy), reference._regularisation_path(remedy, 0, 3, 100))
    runs = reference.regularisation_runs(epochs=3, train_size=100)  # would train if they were not there
    assert list(runs) == list(Remedy)
    assert all(isinstance(run, RegularisedRun) and run.remedy is remedy for remedy, run in runs.items())
    assert runs[Remedy.PLAIN].final_gap == pytest.approx(0.9 - 0.81)


def test_the_cache_key_names_every_setting():
    """A change of subset, epochs, seed or a remedy's strength is a new entry, not a stale one."""
    names = {reference._regularisation_path(Remedy.DROPOUT, 0, 15, 10000).name,
             reference._regularisation_path(Remedy.DROPOUT, 1, 15, 10000).name,
             reference._regularisation_path(Remedy.DROPOUT, 0, 20, 10000).name,
             reference._regularisation_path(Remedy.DROPOUT, 0, 15, 5000).name,
             reference._regularisation_path(Remedy.WEIGHT_DECAY, 0, 15, 10000).name}
    assert len(names) == 5
    name = reference._regularisation_path(Remedy.DROPOUT, 0, 15, 10000).name
    for setting in (f"dropout{reference.DROPOUT_RATE}", f"l2{reference.L2_FACTOR}",
                    f"p{reference.EARLY_STOPPING_PATIENCE}"):
        assert setting in name


def test_the_models_differ_only_where_the_remedy_says():
    plain, dropout, decay = (reference.regularised_model(r) for r in
                             (Remedy.PLAIN, Remedy.DROPOUT, Remedy.WEIGHT_DECAY))
    kinds = lambda model: [type(layer).__name__ for layer in model.layers]
    assert kinds(plain) == ["Flatten", "Dense", "Dense"] == kinds(decay)
    assert kinds(dropout) == ["Flatten", "Dense", "Dropout", "Dense"]
    assert [layer.kernel_regularizer is not None for layer in decay.layers[1:]] == [True, True]
    assert [w.shape for w in plain.get_weights()] == [tuple(s) for s in reference.WEIGHT_SHAPES]
    assert reference.regularised_model(Remedy.EARLY_STOPPING).count_params() == plain.count_params()
