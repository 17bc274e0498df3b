"""The kernel's box (autograder/box): an allowlist Python view, a file system built from nothing,
IPC sockets inside the box, and a pull of the hand-overs that follows no link. Each check runs
real code in a real boxed kernel and is shown to fail on the host, where the thing exists."""

import asyncio
import json
import os
import shutil
import socket
import sys
from pathlib import Path

import pytest

from autograder.box import command, pull, view

ROOT = Path(__file__).resolve().parents[1]
needs_bwrap = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")


def run_in_box(folder, *codes, **limits):
    """[(status, text)] of each code run in one boxed kernel whose work folder is a copy of ``folder``."""
    from autograder.box.kernel import BoxedKernelManager
    from autograder.grading.sandbox import Limits

    async def main():
        km = BoxedKernelManager(given=str(folder), kernel_name="python3", limits=Limits(**limits))
        await km.start_kernel()
        kc = km.client()
        kc.start_channels()
        said = []
        try:
            await kc.wait_for_ready(timeout=60)
            for code in codes:
                texts = []

                def hook(msg, texts=texts):
                    content = msg["content"]
                    texts.append(str(content.get("text") or content.get("evalue") or ""))
                reply = await kc.execute_interactive(code, timeout=120, output_hook=hook)
                said.append((reply["content"]["status"], "".join(texts)))
            run_in_box.last_root = km.root()
        finally:
            kc.stop_channels()
            await km.shutdown_kernel(now=True)
            await km.cleanup_resources()
        return said
    return asyncio.run(main())


# --- the view: an allowlist -------------------------------------------------------------------

def test_view_holds_the_kernels_packages_and_nothing_of_the_course():
    found = view.build()
    names = set(found.names())
    assert {"numpy", "keras", "tensorflow", "matplotlib", "ipykernel", "mplfonts", "fashion_mnist_student"} <= names
    assert not {"course", "autograder", "nbgrader", "pytest", "jupyterhub"} & names, names & {"course", "autograder"}
    assert not [n for n in names if n.endswith(".pth") or n.startswith("__editable__") or n == "__pycache__"]
    assert found.entries["fashion_mnist_student"] == (ROOT / "course/student-package/fashion_mnist_student").resolve()
    # the same code on another root list does hold the grader's own requirements: the test can fail
    assert "nbgrader" in set(view.build(roots=("nbgrader",)).names())


def _fake_install(tmp_path, name, files, requires=()):
    """A distribution in a fake site folder, its RECORD listing ``files``."""
    site = tmp_path / "site"
    info = site / f"{name.replace('-', '_')}-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1.0\n"
                                   + "".join(f"Requires-Dist: {r}\n" for r in requires))
    for file in files:
        (site / file).parent.mkdir(parents=True, exist_ok=True)
        (site / file).write_text("x = 1\n")
    (info / "RECORD").write_text("".join(f"{f},,\n" for f in [*files, f"{info.name}/METADATA"]))
    return site


def test_a_plain_install_of_the_course_brings_nothing_of_the_course(tmp_path, monkeypatch):
    """`pip install .` of the course into site-packages: its distribution (course/, autograder/,
    a .pth) is never in the view, even when a kernel requirement names it."""
    site = _fake_install(tmp_path, "fashion-mnist-course",
                         ["course/__init__.py", "course/reference.py", "autograder/__init__.py", "course.pth"])
    _fake_install(tmp_path / "b", "kernel-helper", ["kernel_helper.py"], requires=["fashion-mnist-course"])
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.syspath_prepend(str(tmp_path / "b" / "site"))
    names = set(view.build(roots=("kernel-helper",)).names())
    assert "kernel_helper.py" in names and not {"course", "autograder", "course.pth"} & names
    monkeypatch.setattr(view, "NEVER", set())          # without the rule, the course would come along
    assert {"course", "autograder"} <= set(view.build(roots=("kernel-helper",)).names())


def test_markers_and_extras_are_evaluated(tmp_path, monkeypatch):
    _fake_install(tmp_path, "root-pkg", ["root_pkg.py"],
                  requires=["numpy", "keras; sys_platform == 'nonexistent'", "nbgrader; extra == 'dev'"])
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    found = set(view.closure(("root-pkg",)))
    assert "numpy" in found and "keras" not in found and "nbgrader" not in found


def test_the_box_hides_every_site_folder_and_mounts_the_view_in_the_base_interpreters():
    built = view.build()
    args = command.argv("bwrap", built, "/given", "/grader", None, 1, ["python"], {})
    tmpfs = {args[i + 1] for i, a in enumerate(args) if a == "--tmpfs"}
    assert set(command.host_site_folders()) <= tmpfs and built.site_packages in tmpfs
    binds = [(args[i + 1], args[i + 2]) for i, a in enumerate(args) if a == "--ro-bind"]
    assert ("/", "/") not in binds and not [b for b in binds if b[0] in (str(ROOT), str(Path.home()))]
    assert (str(built.entries["numpy"]), f"{built.site_packages}/numpy") in binds
    assert "--clearenv" in args and "--unshare-net" in args and "--die-with-parent" in args


# --- a real kernel in the box -----------------------------------------------------------------

@needs_bwrap
def test_the_kernel_sees_its_folder_and_the_view_only(tmp_path):
    (tmp_path / "given.txt").write_text("mine")
    import autograder
    probes = [
        "import os; print(os.getcwd(), sorted(os.listdir('.')))",
        "import numpy, fashion_mnist_student; print('imports-ok')",
        "import course",
        "import autograder",
        "import nbgrader",
        f"print(open({str(ROOT / 'course' / 'reference.py')!r}).read()[:40])",
        f"print(os.listdir({str(Path(autograder.__file__).parent)!r}))",
        f"print(os.listdir({str(Path.home())!r}))",
        "print(open('/etc/passwd').read())",
        "print(sorted(os.listdir('/')))",
    ]
    said = run_in_box(tmp_path, *probes)
    assert said[0] == ("ok", "/tmp/work ['given.txt']\n")
    assert said[1] == ("ok", "imports-ok\n")
    assert [s[0] for s in said[2:7]] == ["error"] * 5, said[2:7]
    # the home folder holds at most the way to the interpreter (pyenv's lives there)
    base = Path(sys.base_prefix).resolve()
    way = [base.relative_to(Path.home()).parts[0]] if base.is_relative_to(Path.home()) else []
    assert said[7][0] == "error" or said[7][1] == f"{way}\n", said[7]
    assert len(said[8][1].split()) == 2 and "nobody" in said[8][1]
    assert "work" not in said[9][1] and "home" not in said[9][1]
    # on the host the same code reaches the course: the checks can fail
    import importlib.util
    assert importlib.util.find_spec("course") is not None and (ROOT / "course" / "reference.py").exists()


@needs_bwrap
def test_the_kernel_has_no_network_and_writes_nothing_on_the_host(tmp_path):
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    said = run_in_box(tmp_path,
                      f"import socket\ntry:\n    socket.create_connection(('127.0.0.1', {port}), 3); print('reached')\n"
                      "except OSError as e:\n    print('no network', e)",
                      "open('written.txt', 'w').write('x'); import os; print(sorted(os.listdir('/tmp/.box')))")
    server.close()
    assert said[0][1].startswith("no network"), said
    assert not (tmp_path / "written.txt").exists()           # the work folder is a copy in the box
    assert "kernel-" in said[1][1]                           # the sockets are in the box's /tmp


@needs_bwrap
def test_a_dead_kernel_ends_its_box(tmp_path):
    import psutil
    marker = f"box-left-{os.getpid()}"
    said = run_in_box(tmp_path, "import subprocess, sys; subprocess.Popen([sys.executable, '-c', "
                                f"'import time; time.sleep(600)', '{marker}'], start_new_session=True); print('started')")
    assert said[0][1] == "started\n"
    assert not [p for p in psutil.process_iter(["cmdline"]) if marker in " ".join(p.info["cmdline"] or [])]


@needs_bwrap
def test_a_kernel_found_dead_leaves_neither_its_folder_nor_its_cgroups(tmp_path):
    """nbclient, finding the kernel dead, skips the shutdown and calls cleanup_resources only: the
    box's private folder (the connection file, its key) and, as root, its cgroups go all the same."""
    from autograder.box.kernel import BoxedKernelManager
    from autograder.grading.sandbox import Limits

    async def main():
        km = BoxedKernelManager(given=str(tmp_path), kernel_name="python3", limits=Limits())
        await km.start_kernel()
        left = [km._grader, *(g for g in (km._cap.cgroup, km._cap.memory_cgroup) if g)]
        kc = km.client()
        kc.start_channels()
        try:
            await kc.wait_for_ready(timeout=60)
            kc.execute("import os; os._exit(1)")
            for _ in range(100):
                if not await km.is_alive():
                    break
                await asyncio.sleep(0.1)
        finally:
            kc.stop_channels()
        assert all(path.exists() for path in left) and not await km.is_alive()
        await km.cleanup_resources()
        return left
    assert [path for path in asyncio.run(main()) if path.exists()] == []


@needs_bwrap
def test_a_box_ends_itself_when_its_grader_is_gone(tmp_path):
    """bwrap binds the box's first process to the grader's life only once the box is built: a
    grader killed meanwhile left the box running (a test of the class command found one). The box
    watches a pipe only the grader holds open and ends itself when it closes; here the grader
    closes it by hand, alive, and the kernel and its box end."""
    import psutil
    from autograder.box.kernel import BoxedKernelManager
    from autograder.grading.sandbox import Limits

    async def main():
        km = BoxedKernelManager(given=str(tmp_path), kernel_name="python3", limits=Limits())
        await km.start_kernel()
        try:
            family = [psutil.Process(km._box_pid), *psutil.Process(km._box_pid).children(recursive=True)]
            assert any("ipykernel_launcher" in " ".join(p.cmdline()) for p in family)
            os.close(km._lifeline)
            km._lifeline = None
            _, alive = psutil.wait_procs(family, timeout=15)
            return alive
        finally:
            await km.shutdown_kernel(now=True)
    assert asyncio.run(main()) == []


# --- the pull ---------------------------------------------------------------------------------

def _box_like(tmp_path):
    """A folder laid out as a box's root seen through /proc/<pid>/root."""
    root = tmp_path / "root"
    folder = root / "tmp" / "work" / "probe_handover"
    folder.mkdir(parents=True)
    return root, folder


def test_pull_takes_only_named_regular_files_within_their_cap(tmp_path):
    root, folder = _box_like(tmp_path)
    secret = tmp_path / "host-secret.json"
    secret.write_text("secret")
    (folder / "a.json").write_text(json.dumps({"ok": 1}))
    (folder / "b.npz").write_bytes(b"0" * 2000)
    (folder / "c.json").symlink_to(secret)
    (folder / "other.json").write_text("not asked for")
    os.mkfifo(folder / "d.json")
    target = tmp_path / "host"
    got = pull.pull(str(root), "/tmp/work/probe_handover", ["a.json", "b.npz", "c.json", "d.json", "../x"],
                    target, max_bytes=1000)
    assert got == ["a.json"] and sorted(p.name for p in target.iterdir()) == ["a.json"]
    assert pull.pull(str(root), "/tmp/work/probe_handover", ["b.npz"], target, max_bytes=5000) == ["b.npz"]


def test_pull_follows_no_link_on_the_way(tmp_path):
    root, folder = _box_like(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "a.json").write_text("host file")
    shutil.rmtree(folder)
    folder.symlink_to(outside)                      # the kernel made its folder a link
    assert pull.pull(str(root), "/tmp/work/probe_handover", ["a.json"], tmp_path / "host") == []
    assert not (tmp_path / "host").exists()
    folder.unlink()
    shutil.copytree(outside, folder)                 # the same name, a real folder: taken
    assert pull.pull(str(root), "/tmp/work/probe_handover", ["a.json"], tmp_path / "host") == ["a.json"]


def test_is_socket_is_false_for_a_link_to_a_socket(tmp_path):
    root, folder = _box_like(tmp_path)
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(folder / "real"))
    (folder / "link").symlink_to(folder / "real")
    try:
        assert pull.is_socket(str(root), "/tmp/work/probe_handover/real")
        assert not pull.is_socket(str(root), "/tmp/work/probe_handover/link")
    finally:
        sock.close()


@needs_bwrap
def test_pull_from_a_running_box(tmp_path):
    from autograder.box.kernel import BoxedKernelManager

    async def main():
        km = BoxedKernelManager(given=str(tmp_path), kernel_name="python3")
        await km.start_kernel()
        kc = km.client()
        kc.start_channels()
        try:
            await kc.wait_for_ready(timeout=60)
            await kc.execute_interactive("import os; os.makedirs('probe_handover'); "
                                         "open('probe_handover/g.json', 'w').write('{}'); "
                                         "os.symlink('/etc/hostname', 'probe_handover/h.json')", timeout=30)
            return km.pull("/tmp/work/probe_handover", ["g.json", "h.json"], tmp_path / "host")
        finally:
            kc.stop_channels()
            await km.shutdown_kernel(now=True)
            await km.cleanup_resources()
    assert asyncio.run(main()) == ["g.json"]
    assert (tmp_path / "host" / "g.json").read_text() == "{}"


def test_box_module_runs_on_this_interpreter():
    assert Path(command.interpreter_path()).exists() and sys.base_prefix


@needs_bwrap
@pytest.mark.parametrize("kind", ["pip install . into a site folder", "editable from another clone"])
def test_the_course_installed_another_way_is_not_in_the_box(tmp_path, monkeypatch, kind):
    """The course as a plain install (course/, autograder/ and the student package in a site
    folder, its RECORD listing them) or editable from another clone (a .pth and a finder pointing
    there): the kernel imports the student package and finds no course, no grader."""
    clone = tmp_path / "clone"
    for package in ("course", "autograder"):
        (clone / package).mkdir(parents=True)
        (clone / package / "__init__.py").write_text("SECRET = 'the course'\n")
    shutil.copytree(ROOT / "course/student-package/fashion_mnist_student", clone / "fashion_mnist_student",
                    ignore=shutil.ignore_patterns("__pycache__"))
    files = ["course/__init__.py", "autograder/__init__.py", "fashion_mnist_student/__init__.py"]
    if kind.startswith("pip"):
        site = _fake_install(tmp_path, "fashion-mnist-course", [])
        for name in ("course", "autograder", "fashion_mnist_student"):
            shutil.move(str(clone / name), str(site / name))
        record = next(site.glob("*.dist-info")) / "RECORD"
        record.write_text(record.read_text() + "".join(f"{f},,\n" for f in files))
    else:
        site = _fake_install(tmp_path, "fashion-mnist-course", ["__editable__.fashion_mnist_course-0.1.0.pth"])
        (site / "__editable__.fashion_mnist_course-0.1.0.pth").write_text(str(clone) + "\n")
        monkeypatch.syspath_prepend(str(clone))
    monkeypatch.syspath_prepend(str(site))
    import importlib
    importlib.invalidate_caches()
    monkeypatch.delitem(sys.modules, "fashion_mnist_student", raising=False)   # found afresh, put back after
    built = view.build()
    assert not {"course", "autograder"} & set(built.names())
    assert built.entries["fashion_mnist_student"].is_relative_to(tmp_path)      # the other copy's
    monkeypatch.setattr(view, "build", lambda roots=view.ROOTS: built)
    said = run_in_box(tmp_path / "empty" if (tmp_path / "empty").mkdir() is None else None,
                      "import fashion_mnist_student; print(fashion_mnist_student.__file__)",
                      "import course", "import autograder",
                      f"import os; print(os.path.exists({str(clone)!r}), os.path.exists({str(site)!r}))")
    assert said[0][0] == "ok" and "site-packages/fashion_mnist_student" in said[0][1]
    assert said[1][0] == said[2][0] == "error" and said[3] == ("ok", "False False\n")
    # outside the box the same Python imports the course of that install: the check can fail
    assert importlib.util.find_spec("course") is not None


@needs_bwrap
def test_a_box_is_labelled_outside_and_the_kernel_does_not_see_the_label(tmp_path):
    """bwrap carries AUTOGRADER_BOX_OF in its own environment (tests find a batch's boxes by it);
    the kernel's environment is cleared and does not hold it."""
    import psutil

    from autograder.box.kernel import BoxedKernelManager

    async def main():
        km = BoxedKernelManager(given=str(tmp_path), kernel_name="python3", label="42:/some/folder")
        await km.start_kernel()
        kc = km.client()
        kc.start_channels()
        try:
            await kc.wait_for_ready(timeout=60)
            seen = []
            await kc.execute_interactive("import os; print(os.environ.get('AUTOGRADER_BOX_OF'))", timeout=30,
                                         output_hook=lambda m: seen.append(m["content"].get("text", "")))
            return psutil.Process(km.provisioner.process.pid).environ().get("AUTOGRADER_BOX_OF"), "".join(seen)
        finally:
            kc.stop_channels()
            await km.shutdown_kernel(now=True)
            await km.cleanup_resources()
    outside, inside = asyncio.run(main())
    assert outside == "42:/some/folder" and inside == "None\n"


def test_the_view_goes_where_the_base_interpreter_looks():
    """Debian's /usr/bin/python3 never reads sysconfig's purelib (/usr/lib/python3.X/site-packages):
    the view is mounted at a site folder the base interpreter itself lists, and that exists."""
    import subprocess
    folders = json.loads(subprocess.run([command.interpreter_path(), "-I", "-c",
                                         "import json, site; print(json.dumps(site.getsitepackages()))"],
                                        capture_output=True, text=True, check=True).stdout)
    assert view.base_site_packages() in folders and Path(view.base_site_packages()).is_dir()
