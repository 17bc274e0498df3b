# The course's jobs. `make setup` once, then `make test`; see README.md.
SHELL := /bin/bash
VENV ?= .venv
BIN := $(abspath $(VENV))/bin
export PATH := $(BIN):$(PATH)
export TF_CPP_MIN_LOG_LEVEL := 2
# see QUIET_TENSORFLOW in course/student-package/fashion_mnist_student/__init__.py
export TF_ENABLE_ONEDNN_OPTS := 0
ASSIGNMENT ?= fashion_mnist_en
WORKERS ?= 2
DEMO_LANG ?= en
HUB_PORT ?= 8000

.PHONY: setup data test test-fast book exercises demo grade report benchmark clean hub hub-stop

setup:            ## system packages, .venv with pinned packages, Fashion-MNIST, fonts
	bash tools/setup.sh

data:             ## copy Fashion-MNIST where Keras looks, then verify it
	python -m course.data provision

test:             ## the whole test suite (builds the book, runs nbgrader, trains for real), on two workers
	python -m pytest -n 2 --dist loadfile

test-fast:        ## the unit layer only (under two minutes): state, fingerprints, preprocessors, checks, the box
	python -m pytest -n 3 --dist loadfile -m "not slow"   # 3 on 2 cores: its tests wait on kernels and boxes

book:             ## English and Chinese sites in _build/site (cached execution)
	python tools/build_book.py

exercises:        ## regenerate the student notebooks in exercises/ from solutions/ (both languages)
	nbgrader generate_assignment fashion_mnist_en --force
	nbgrader generate_assignment fashion_mnist_zh --force

student-bundle:   ## per language, the zip a student downloads (dist/), without and with the data
	for a in fashion_mnist_en fashion_mnist_zh; do \
	  python -m autograder bundle $$a --out dist && \
	  python -m autograder bundle $$a --with-data --out dist || exit 1; \
	done

demo:             ## a sample class graded end to end in a scratch course (demo/LANG; DEMO_LANG=zh for Chinese)
	python -m autograder demo --lang $(DEMO_LANG)

grade:            ## autograde every submission in submitted/, in parallel, with a report
	python -m autograder grade $(ASSIGNMENT) --workers $(WORKERS)

report:           ## the class report for ASSIGNMENT: reports/$(ASSIGNMENT).html (one self-contained page)
	python -m autograder report $(ASSIGNMENT)

hub:              ## a class server on this machine, as root: JupyterHub, the exchange, the formgrader (ROSTER=students.csv, HUB_PORT=8000)
	python -m autograder hub start $(if $(ROSTER),--roster $(ROSTER)) --port $(HUB_PORT)

hub-stop:         ## stop the class server and everything it started
	python -m autograder hub stop

benchmark:        ## class-grading timings, written to benchmarks/results/grading.json
	python benchmarks/grading.py

clean:
	rm -rf _build autograded feedback gradebook.db grades.csv .grading dist reports
