"""The course cache (course.reference): computed once under a lock, even by two builds at once;
the training chapter's model is kept only when it is the reference model (fast: no training)."""

import multiprocessing
import sys
import time

import pytest

from course import reference


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setattr(reference, "CACHE", tmp_path)
    return tmp_path


def _slow_entry(path, calls, seconds):
    """A cache entry that takes a while to compute and counts its computations in `calls`."""
    from pathlib import Path

    from course import reference

    def compute():
        with open(calls, "a") as log:
            log.write("computed\n")
        time.sleep(seconds)
        return {"value": 42}
    return reference._cached(Path(path), compute, reference._write_json, reference._read_json)


def test_two_processes_at_once_compute_an_entry_once(cache):
    path, calls = cache / "entry.json", cache / "calls.txt"
    # under pytest-xdist the worker's __main__ has no __spec__, which spawn reads; None: nothing to re-import
    main = sys.modules["__main__"]
    if not hasattr(main, "__spec__"):
        main.__spec__ = None
    context = multiprocessing.get_context("spawn")
    with context.Pool(2) as pool:
        results = pool.starmap(_slow_entry, [(str(path), str(calls), 2)] * 2)
    assert results == [{"value": 42}] * 2
    assert calls.read_text().count("computed") == 1  # the other process waited and loaded it
    assert sorted(p.name for p in cache.iterdir()) == ["calls.txt", "entry.json", "entry.json.lock"]


def test_without_the_lock_both_would_compute(cache, monkeypatch):
    """The check above can fail: with a lock that does nothing, both processes compute."""
    path, calls = cache / "entry.json", cache / "calls.txt"
    threads = []
    import threading
    from contextlib import nullcontext
    from fashion_mnist_student import cache as student_cache  # the one home of the lock
    monkeypatch.setattr(student_cache, "_locked", lambda path: nullcontext())
    for _ in range(2):
        threads.append(threading.Thread(target=_slow_entry, args=(str(path), str(calls), 1)))
        threads[-1].start()
    for thread in threads:
        thread.join()
    assert calls.read_text().count("computed") == 2


def test_a_failing_computation_leaves_no_entry(cache):
    path = cache / "entry.json"

    def broken():
        raise RuntimeError("training failed")
    with pytest.raises(RuntimeError, match="training failed"):
        reference._cached(path, broken, reference._write_json, reference._read_json)
    assert not path.exists() and not list(cache.glob("*.partial*"))
    assert reference._cached(path, lambda: [1, 2], reference._write_json, reference._read_json) == [1, 2]
    assert reference._cached(path, broken, reference._write_json, reference._read_json) == [1, 2]


def _history(epochs=10, steps=1875):
    import keras
    history = keras.callbacks.History()
    history.epoch, history.params = list(range(epochs)), {"verbose": 2, "epochs": epochs, "steps": steps}
    return history


def test_the_training_chapters_model_is_kept_once(cache):
    model = reference.compile_model(reference.build_model())
    reference.keep_trained_model(model, _history())
    path = cache / "fashion_mnist_seed0_e10.keras"
    assert path.is_file()
    before = path.stat().st_mtime_ns
    # a second one (the other language's page, or a re-run) does not replace the kept model
    reference.keep_trained_model(reference.compile_model(reference.build_model()), _history())
    assert path.stat().st_mtime_ns == before
    loaded = reference.trained_model()  # loads it, trains nothing
    assert [w.shape for w in loaded.get_weights()] == [w.shape for w in model.get_weights()]


def _model(units=128, optimizer="adam", from_logits=True):
    import keras
    model = keras.Sequential([keras.Input(shape=(28, 28)), keras.layers.Flatten(),
                              keras.layers.Dense(units, activation="relu"), keras.layers.Dense(10)])
    model.compile(optimizer=optimizer, metrics=["accuracy"],
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits))
    return model


@pytest.mark.parametrize("model,history,message", [
    (lambda: _model(units=64), _history, r"layers .*Dense', 64"),
    (lambda: _model(optimizer="sgd"), _history, "not Adam"),
    (lambda: _model(from_logits=False), _history, "from_logits=True"),
    (_model, lambda: _history(epochs=3), "trained for 3 epochs, expected 10"),
    (_model, lambda: _history(steps=32), "32 steps per epoch: not all 60,000"),
])
def test_another_model_is_refused(cache, model, history, message):
    with pytest.raises(ValueError, match=message):
        reference.keep_trained_model(model(), history())
    assert list(cache.iterdir()) == []


def test_the_chapters_cache_name_is_the_courses(cache, monkeypatch):
    """The chapters keep and load the model with the student package's helper under one name; the
    build points that helper at the course cache, so the course's own trained_model() finds it."""
    from fashion_mnist_student import cache as student_cache
    monkeypatch.setenv(student_cache.ENV, str(cache))
    assert student_cache.path("fashion_mnist_seed0_e10", ".keras") == reference._model_path(0, 10)
    assert student_cache.path("fashion_mnist_seed0_e5", ".keras") != reference._model_path(0, 10)
