"""`python -m autograder demo [--lang zh]`: a sample class graded end to end, in a scratch course.

Builds a course of its own (default: demo/LANG in this repository, which git ignores; never the
instructor's course) with about ten submissions made from the solution notebook: correct ones
written in different ways, the common mistakes of the book's chapter 12, one handed in late, one
missing, two bad files (half-written, a link to the gradebook) and one hostile submission that
tries to delete the gradebook and the class's notebooks. Then it grades them with the real
`grade` (in the sandbox, two workers), which writes each student's feedback and the class
report, checks that nothing outside the boxes changed, and prints where to look.
"""

import hashlib
import shutil
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from . import paths, samples
from .samples import NOTEBOOK, REWRITTEN, WRONG, prefixed, trained_elsewhere, with_cells_replaced

DEFAULT_WHERE = paths.ROOT / "demo"    # git-ignored (in a checkout; the demo needs one)
MARKER = ".autograder-demo"            # only a folder with this file is ever emptied by the demo
DUE = datetime(2026, 1, 15, 23, 59, tzinfo=timezone.utc)

# the chapter-12 mistake a student makes with the output layer: softmax output, logits loss
SOFTMAX_WITH_LOGITS = {"build_model": (
    "def build_model():\n    return keras.Sequential([keras.Input(shape=(28, 28)), keras.layers.Flatten(),\n"
    "        keras.layers.Dense(128, activation='relu'), keras.layers.Dense(10, activation='softmax')])")}

# tries what a student who knows the course's layout would: delete the gradebook and everyone's
# notebooks, leave a file outside its folder, then kill its own kernel to hide; it solves nothing
# (every other solution cell is the release's stub), so it earns 0 whatever the box lets it do
HOSTILE = """import os, shutil
for root in ({course!r}, os.path.expanduser("~")):
    for folder, _, files in os.walk(root):
        for name in files:
            if name == "gradebook.db" or name.endswith(".ipynb"):
                try:
                    os.remove(os.path.join(folder, name))
                except OSError:
                    pass
shutil.rmtree({course!r}, ignore_errors=True)
for where in ({course!r}, os.path.expanduser("~"), "/tmp", "/var/tmp"):
    try:
        open(os.path.join(where, "hostile-was-here.txt"), "w").write("gotcha")
    except OSError:
        pass
os._exit(0)"""


@dataclass
class Sample:
    student: str
    what: dict[str, str]      # {"en": ..., "zh": ...}: what this submission shows


@dataclass
class DemoClass:
    course: Path
    assignment: str
    lang: str
    samples: list[Sample] = field(default_factory=list)


def _samples(course, lang):
    """[(Sample, notebook or None, extra step)] of the sample class."""
    source = samples.completed_release(lang)
    quick = trained_elsewhere(source)   # every run skips the ten-epoch training (see samples)

    def late(folder):
        (folder / "timestamp.txt").write_text(str(DUE + timedelta(hours=2))[:19])

    def missing(folder):
        (folder / NOTEBOOK).unlink()
        (folder / "notes.txt").write_text("I forgot to attach the notebook\n")

    def truncated(folder):
        data = (folder / NOTEBOOK).read_bytes()
        (folder / NOTEBOOK).write_bytes(data[: len(data) // 2])

    def link(folder):
        (folder / NOTEBOOK).unlink()
        (folder / NOTEBOOK).symlink_to(Path(course) / "gradebook.db")

    return [
        (Sample("ada", {"en": "the reference solution", "zh": "参考答案"}), quick, None),
        (Sample("ben", {"en": "correct, written another way", "zh": "正确，但写法不同"}),
         with_cells_replaced(quick, REWRITTEN), None),
        (Sample("chen", {"en": "chapter 12: images not scaled to [0, 1]", "zh": "第 12 章：图像没有缩放到 [0, 1]"}),
         with_cells_replaced(quick, WRONG["no_scaling"][0]), None),
        (Sample("dana", {"en": "chapter 12: softmax output with from_logits=True",
                         "zh": "第 12 章：输出层用了 softmax，损失函数却设 from_logits=True"}),
         with_cells_replaced(quick, SOFTMAX_WITH_LOGITS), None),
        (Sample("eli", {"en": "chapter 12: the optimizer misspelt ('adma')", "zh": "第 12 章：优化器名字拼错（'adma'）"}),
         with_cells_replaced(quick, WRONG["adma_typo"][0]), None),
        (Sample("fay", {"en": "chapter 12: TensorFlow 1 code (tf.train.AdamOptimizer)",
                        "zh": "第 12 章：TensorFlow 1 的代码（tf.train.AdamOptimizer）"}),
         with_cells_replaced(quick, WRONG["tf1_optimizer"][0]), None),
        (Sample("gus", {"en": "no Softmax layer in the probability model", "zh": "概率模型没有 Softmax 层"}),
         with_cells_replaced(quick, WRONG["no_softmax"][0]), None),
        (Sample("hana", {"en": "correct, handed in 2 hours late", "zh": "正确，但迟交了 2 小时"}), quick, late),
        (Sample("ivan", {"en": "no notebook, only a note", "zh": "没有笔记本，只有一条留言"}), quick, missing),
        (Sample("jo", {"en": "hostile: tries to delete the gradebook and every notebook, then kills its kernel; solves nothing",
                       "zh": "恶意提交：试图删除成绩簿和所有笔记本，然后结束自己的内核；一道题也没做"}),
         prefixed(samples.release(lang), "preprocess_images", HOSTILE.format(course=str(course))), None),
        (Sample("kim", {"en": "a half-written notebook (cut off in the middle)", "zh": "只写了一半的笔记本（从中间截断）"}),
         quick, truncated),
        (Sample("lee", {"en": "a symbolic link to the gradebook instead of a notebook",
                        "zh": "提交的是指向成绩簿的符号链接，而不是笔记本"}), quick, link),
    ]


def _set_due_date(course, assignment):
    import warnings

    from .grading.gradebook import gradebook
    with warnings.catch_warnings(), gradebook(course) as gb:
        warnings.simplefilter("ignore")
        gb.update_or_create_assignment(assignment, duedate=DUE.replace(tzinfo=None))


def build_class(where, lang="en") -> DemoClass:
    """The scratch course with the sample class in ``where`` (emptied first if the demo made it)."""
    where = Path(where).resolve()
    if where.exists():
        if not (where / MARKER).exists():
            raise SystemExit(f"error: {where} exists and is not a demo course; give another --where")
        shutil.rmtree(where)
    assignment = f"fashion_mnist_{lang}"
    course = samples.make_course(where, [assignment])
    (course / MARKER).write_text("made by python -m autograder demo; deleted by the next demo run\n")
    _set_due_date(course, assignment)
    demo = DemoClass(course, assignment, lang)
    for sample, nb, step in _samples(course, lang):
        folder = samples.submit(course, sample.student, assignment, nb)
        if step:
            step(folder)
        demo.samples.append(sample)
    return demo


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def _outside(course):
    """What the hostile submission would leave outside its box (its marker file, wherever it could)."""
    places = [course, Path.home(), Path("/tmp"), Path("/var/tmp")]
    return sorted(str(p / "hostile-was-here.txt") for p in places if (p / "hostile-was-here.txt").exists())


def add_arguments(parser):
    parser.add_argument("--lang", choices=["en", "zh"], default="en", help="the class's language (default en)")
    parser.add_argument("--where", help=f"the scratch course (default {DEFAULT_WHERE}/LANG; git-ignored)")
    parser.add_argument("--workers", type=int, default=2, help="parallel submissions (default 2)")


def run(args):
    from .grading.batch import Options, grade_batch
    if paths.checkout() is None:
        print(f"error: the demo builds its class from the course's solutions/ and exercises/, which an "
              f"installed package ({paths.PACKAGE}) does not have: run it from a checkout of the course",
              file=sys.stderr)
        return 2
    where = Path(args.where) if args.where else DEFAULT_WHERE / args.lang
    start = time.perf_counter()
    print(f"building the sample class in {where} ...", file=sys.stderr)
    demo = build_class(where, args.lang)
    submitted = {p: p.read_bytes() for p in sorted((demo.course / "submitted").rglob("*"))
                 if p.is_file() and not p.is_symlink()}
    gradebook_before = _digest(demo.course / "gradebook.db") is not None
    outside_before = _outside(demo.course)
    print(f"grading {len(demo.samples)} submissions in the sandbox with {args.workers} workers "
          f"(python -m autograder grade {demo.assignment} --course {demo.course}) ...", file=sys.stderr)
    batch = grade_batch(Options(demo.assignment, demo.course, workers=args.workers))
    if batch.refusal:
        print(f"error: {batch.refusal}", file=sys.stderr)
        return batch.exit_code
    print(batch.table())
    lang = args.lang
    intact = (gradebook_before and (demo.course / "gradebook.db").is_file()
              and all(p.is_file() and p.read_bytes() == data for p, data in submitted.items())
              and _outside(demo.course) == outside_before)
    print()
    print("这个样例班级：" if lang == "zh" else "The sample class:")
    for sample in demo.samples:
        print(f"  {sample.student:<5} {sample.what[lang]}")
    print()
    if lang == "zh":
        print(f"恶意提交没有改动盒子之外的任何东西（成绩簿、提交的文件都完好）：{'是' if intact else '否'}")
        print(f"班级报告：{batch.report}")
        print(f"每位学生的反馈：{demo.course / 'feedback'}/<学生>/{demo.assignment}/")
        print(f"成绩表：{demo.course / 'grades.csv'}")
        print(f"用时 {time.perf_counter() - start:.0f} 秒。")
    else:
        print(f"nothing outside the boxes changed (gradebook and submitted files intact): {'yes' if intact else 'NO'}")
        print(f"class report: {batch.report}")
        print(f"each student's feedback: {demo.course / 'feedback'}/<student>/{demo.assignment}/")
        print(f"grades: {demo.course / 'grades.csv'}")
        print(f"took {time.perf_counter() - start:.0f} s")
    for line in batch.problems:
        print(f"problem: {line}", file=sys.stderr)
    return 0 if intact and not batch.problems and batch.report else 1
