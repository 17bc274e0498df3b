"""python -m autograder bundle ASSIGNMENT [--with-data] [--out DIR]: the zip a student downloads.

One zip per assignment (one per language), for the course's LMS page. It holds one folder with:

- ``fashion_mnist.ipynb``, the release notebook (exercises/ASSIGNMENT, from ``make exercises``);
- ``README.md`` in the notebook's language: set up with one pip command in a venv, work, check
  with Restart & Run All and ``nbgrader validate``, hand in;
- ``requirements.txt``: the student package's wheel, nbgrader, JupyterLab, and the versions of
  TensorFlow, Keras (and its ml-dtypes), NumPy and Matplotlib the course grades with (from the
  course's requirements.txt);
- the wheel of the student package (course/student-package), built here with ``pip wheel``, with the
  accuracy threshold of autograder/calibration.json written into it;
- ``nbgrader_config.py``, the release folder's, which gives a cell 300 s (nbgrader's default is 30 s);
- with ``--with-data``, the four Fashion-MNIST files, which the notebook reads from beside itself.

Nothing of the grader goes in: not ``autograder``, not ``course``, no solution, no hidden test.
"""

import json
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from importlib import metadata
from pathlib import Path

from .paths import ROOT  # one place for paths

STUDENT_PACKAGE = ROOT / "course" / "student-package"
NOTEBOOK = "fashion_mnist.ipynb"
# the course's pins (requirements.txt) that a student's notebook needs
STUDENT_PINS = ("tensorflow-cpu", "tensorflow", "keras", "ml-dtypes", "numpy", "matplotlib", "mplfonts",
                "ipykernel", "nbgrader")
# not pinned in requirements.txt (nbgrader brings it): the version installed here, which is tested
STUDENT_INSTALLED = ("jupyterlab",)
FIXED_TIME = (2020, 1, 1, 0, 0, 0)  # zip entries' date: the same inputs give the same zip

# the same commands in both languages' READMEs
SETUP_COMMANDS = {
    "unix_setup": "```bash\npython3 -m venv .venv\nsource .venv/bin/activate\npip install -r requirements.txt\n```",
    "windows_setup": "```bat\npy -3.11 -m venv .venv\n.venv\\Scripts\\activate\npip install -r requirements.txt\n```",
}

README = {
    "en": """# Fashion-MNIST: the graded notebook

This folder has all you need for the exercise:

| file | what it is |
|---|---|
| `fashion_mnist.ipynb` | the notebook you complete and hand in |
| `{wheel}` | the course's small Python package: class names, data loading, the Chinese plot font, the notebook's quick checks |
| `requirements.txt` | what to install: that package, TensorFlow, JupyterLab and nbgrader, at the versions the course grades with |
| `nbgrader_config.py` | lets `nbgrader validate` give a cell 300 seconds (the training takes about a minute) |
{data_row}
## 1. Set up (once)

You need Python 3.11 and about 2 GB of disk space; no administrator rights, no other tools. Open a
terminal in this folder and create a virtual environment with everything in it:

Linux and macOS:

{unix_setup}

Windows (Command Prompt; in PowerShell activate with `.venv\\Scripts\\Activate.ps1`):

{windows_setup}

{data_text}

## 2. Work

With the environment active (`source .venv/bin/activate`, or `.venv\\Scripts\\activate` on
Windows), in this folder:

```bash
jupyter lab fashion_mnist.ipynb
```

Fill in every cell that says `# YOUR CODE HERE` and delete the `raise NotImplementedError()` line
below it. Keep the function names and parameters, and do not change the provided cells or the test
cells. When a test cell fails, the first line of its error says what to fix.

## 3. Check

1. *Kernel → Restart Kernel and Run All Cells…* and wait for the last cell (about two minutes):
   no cell may show an error.
2. In the terminal, with the environment active, in this folder:

   ```bash
   nbgrader validate fashion_mnist.ipynb
   ```

   `Success! Your notebook passes all the tests.` means every visible test passes; otherwise it
   prints each failing cell and its error. Run it from this folder: `nbgrader_config.py` here
   gives each cell 300 seconds, without it nbgrader stops the training cell after 30.

The grader runs further, hidden checks of the same kind, so passing the visible ones is a good
sign, not a guarantee.

## 4. Hand in

Save the notebook (Ctrl+S), then submit `fashion_mnist.ipynb`, under that name, the way your
instructor tells you. Your feedback will show the points of each part and what each failed check
found.
""",
    "zh": """# Fashion-MNIST：计分作业笔记本

这个文件夹里有完成作业所需的全部文件：

| 文件 | 说明 |
|---|---|
| `fashion_mnist.ipynb` | 你要完成并提交的笔记本 |
| `{wheel}` | 课程的小型 Python 包：类别名称、数据加载、绘图用的中文字体，以及笔记本里的快速检查 |
| `requirements.txt` | 要安装的内容：上面这个包以及 TensorFlow、JupyterLab 和 nbgrader，版本与评分时相同 |
| `nbgrader_config.py` | 让 `nbgrader validate` 给每个单元格 300 秒（训练大约需要一分钟） |
{data_row}
## 1. 安装（只需一次）

需要 Python 3.11 和大约 2 GB 的磁盘空间；不需要管理员权限，也不需要其他工具。在这个文件夹中打开终端，创建一个虚拟环境，并把所需的一切装进去：

Linux 和 macOS：

{unix_setup}

Windows（命令提示符；在 PowerShell 中改用 `.venv\\Scripts\\Activate.ps1` 激活）：

{windows_setup}

{data_text}

## 2. 完成作业

激活环境（`source .venv/bin/activate`，Windows 上是 `.venv\\Scripts\\activate`）后，在这个文件夹中运行：

```bash
jupyter lab fashion_mnist.ipynb
```

找到所有标有 `# YOUR CODE HERE` 的单元格，写上你的代码，并删掉下面那行 `raise NotImplementedError()`。函数名和参数要保持不变，也不要修改已提供的单元格和测试单元格。某个测试单元格失败时，错误信息的第一行会告诉你该改什么。

## 3. 提交前的检查

1. 选择 *Kernel → Restart Kernel and Run All Cells…*，等最后一个单元格运行完（大约两分钟），确认没有任何单元格报错。
2. 在终端里激活环境，在这个文件夹中运行：

   ```bash
   nbgrader validate fashion_mnist.ipynb
   ```

   看到 `Success! Your notebook passes all the tests.` 说明看得见的测试全部通过；否则它会列出每个失败的单元格及其错误。请在这个文件夹中运行它：这里的 `nbgrader_config.py` 允许每个单元格运行 300 秒，没有它时 nbgrader 会在 30 秒后中断训练模型的单元格。

评分时还会运行更多同类的隐藏检查，所以通过了看得见的测试是个好兆头，但不等于满分。

## 4. 提交

保存笔记本（Ctrl+S），然后按老师的要求提交 `fashion_mnist.ipynb` 这个文件，不要改名。反馈中会列出每个部分的得分，以及每项未通过的检查发现了什么问题。
""",
}

DATA = {
    "en": {
        True: ("| `*-ubyte.gz` | Fashion-MNIST's four files: the notebook reads them from here, offline |\n",
               "The data set is in this folder, so the notebook needs no internet."),
        False: ("",
                "The notebook's first cell downloads Fashion-MNIST once (30 MB, with Keras, into "
                "`~/.keras/datasets`), so it needs internet the first time. Without internet, ask "
                "for the bundle *with data*, or put its four `.gz` files in this folder."),
    },
    "zh": {
        True: ("| `*-ubyte.gz` | Fashion-MNIST 的四个数据文件：笔记本直接从这里读取，不需要联网 |\n",
               "数据集就在这个文件夹里，所以运行笔记本不需要联网。"),
        False: ("",
                "笔记本的第一个单元格会用 Keras 下载一次 Fashion-MNIST（30 MB，保存到 `~/.keras/datasets`），"
                "所以第一次运行时需要联网。无法联网时，请向老师索取含数据的压缩包，或者把其中的四个 `.gz` 文件放到这个文件夹里。"),
    },
}


class BundleError(RuntimeError):
    pass


def language(assignment):
    match = re.search(r"_(en|zh)$", assignment)
    if not match:
        raise BundleError(f"{assignment}: the assignment's name must end in _en or _zh")
    return match.group(1)


def build_wheel(out_dir):
    """The student package's wheel in ``out_dir``, the course's accuracy threshold written into it."""
    from .threshold import threshold
    with tempfile.TemporaryDirectory(prefix="student-wheel-") as scratch:
        staged = Path(scratch) / "student-package"
        shutil.copytree(STUDENT_PACKAGE, staged,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "build", "*.egg-info"))
        (staged / "fashion_mnist_student" / "threshold.json").write_text(
            json.dumps({"threshold": threshold()}) + "\n", encoding="utf-8")
        result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                                 "--quiet", "--wheel-dir", str(out_dir), str(staged)],
                                capture_output=True, text=True)
        if result.returncode != 0:
            raise BundleError(f"pip wheel failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    wheels = sorted(Path(out_dir).glob("fashion_mnist_student-*.whl"))
    if len(wheels) != 1:
        raise BundleError(f"expected one student wheel in {out_dir}, found {[w.name for w in wheels]}")
    return wheels[0]


def _course_pins():
    pins = {}
    for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        name = re.match(r"[A-Za-z0-9_.-]+", line)
        if name and name.group(0).lower() in STUDENT_PINS:
            pins.setdefault(name.group(0).lower(), []).append(line)
    missing = set(STUDENT_PINS) - set(pins)
    if missing:
        raise BundleError(f"requirements.txt pins none of {sorted(missing)}")
    return [line for name in STUDENT_PINS for line in pins[name]]


def requirements(wheel_name, lang):
    head = {"en": ("# Everything the notebook needs, at the versions the course grades with. In a virtual\n"
                   "# environment, from this folder: pip install -r requirements.txt\n"),
            "zh": ("# 笔记本所需的全部软件包，版本与评分时相同。在虚拟环境中、在这个文件夹里运行：\n"
                   "# pip install -r requirements.txt\n")}[lang]
    installed = [f"{name}=={metadata.version(name)}" for name in STUDENT_INSTALLED]
    return head + "\n".join([f"./{wheel_name}", *_course_pins(), *installed]) + "\n"


def readme(lang, wheel_name, with_data):
    row, text = DATA[lang][with_data]
    return README[lang].format(wheel=wheel_name, data_row=row, data_text=text, **SETUP_COMMANDS)


def bundle_files(assignment, wheel, with_data=False):
    """{name in the bundle's folder: bytes}."""
    lang = language(assignment)
    from .grading.coursedir import Course
    release = Course(ROOT).release(assignment)   # nbgrader's release folder (exercises/)
    notebook = release / NOTEBOOK
    config = release / "nbgrader_config.py"
    if not notebook.is_file():
        raise BundleError(f"{notebook} is missing: run `make exercises` first")
    if "c.Execute.timeout = 300" not in config.read_text(encoding="utf-8"):
        raise BundleError(f"{config} must set c.Execute.timeout = 300 for `nbgrader validate`")
    files = {
        NOTEBOOK: notebook.read_bytes(),
        "README.md": readme(lang, wheel.name, with_data).encode(),
        "requirements.txt": requirements(wheel.name, lang).encode(),
        wheel.name: wheel.read_bytes(),
        "nbgrader_config.py": config.read_bytes(),
    }
    if with_data:
        from course.data import FILES, keras_dir, verify
        verify()  # never hand out damaged files
        files.update({name: (keras_dir() / name).read_bytes() for name in FILES})
    return files


def write_zip(path, folder, files):
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".zip.partial")
    with zipfile.ZipFile(partial, "w") as archive:
        for name, data in sorted(files.items()):
            info = zipfile.ZipInfo(f"{folder}/{name}", FIXED_TIME)
            info.external_attr = 0o644 << 16
            stored = name.endswith((".gz", ".whl"))  # already compressed
            info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    partial.replace(path)
    return path


def bundle(assignment, out_dir="dist", with_data=False):
    """Write OUT/ASSIGNMENT.zip (or ASSIGNMENT-with-data.zip); return its path."""
    out_dir = Path(out_dir)
    language(assignment)  # before the wheel is built
    with tempfile.TemporaryDirectory(prefix="student-bundle-") as scratch:
        wheel = build_wheel(scratch)
        files = bundle_files(assignment, wheel, with_data)
    name = f"{assignment}-with-data.zip" if with_data else f"{assignment}.zip"
    return write_zip(out_dir / name, assignment, files)


def add_arguments(parser):
    parser.add_argument("assignment", help="e.g. fashion_mnist_en (the release in exercises/ASSIGNMENT)")
    parser.add_argument("--with-data", action="store_true",
                        help="add the four Fashion-MNIST files, so the notebook runs offline")
    parser.add_argument("--out", default="dist", help="folder for the zip (default: dist)")


def run(args):
    try:
        path = bundle(args.assignment, args.out, args.with_data)
    except BundleError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


def main(argv=None):
    """`bundle` alone: the same as python -m autograder bundle ... (a leading "bundle" is allowed)."""
    import argparse
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = argparse.ArgumentParser(prog="python -m autograder.bundle", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv[1:] if argv[:1] == ["bundle"] else argv))


if __name__ == "__main__":
    sys.exit(main())
