"""JupyterHub's configuration for the class, from the hub's settings (layout.Settings).

The file the hub reads (state/jupyterhub_config.py) only calls ``configure(c, settings)``: one
place for the configuration, checked by tests without starting a hub.
"""

from functools import partial

from . import spawn


def configure(c, settings) -> None:
    state = settings.layout.state
    c.JupyterHub.ip = settings.ip
    c.JupyterHub.port = settings.port
    c.JupyterHub.hub_ip = "127.0.0.1"
    c.JupyterHub.hub_port = settings.hub_port
    c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
    c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
    c.JupyterHub.pid_file = str(state / "jupyterhub.pid")
    c.JupyterHub.cleanup_servers = True
    c.JupyterHub.cleanup_proxy = True
    c.ConfigurableHTTPProxy.command = [settings.proxy]
    c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{settings.proxy_api_port}"
    c.ConfigurableHTTPProxy.pid_file = str(state / "proxy.pid")
    # the accounts' own passwords (autograder/hub/accounts.py says why PAM)
    c.JupyterHub.authenticator_class = "pam"
    c.PAMAuthenticator.open_sessions = False
    c.Authenticator.allowed_users = {settings.instructor, *settings.students}
    c.Authenticator.admin_users = set()   # nobody may open another user's server
    c.JupyterHub.spawner_class = "localprocess"
    c.Spawner.default_url = "/lab"
    c.Spawner.start_timeout = 120
    c.Spawner.http_timeout = 120
    c.Spawner.pre_spawn_hook = partial(spawn.prepare, settings)


def config_file(settings_path) -> str:
    """The text of state/jupyterhub_config.py."""
    return ("# Written by python -m autograder hub start; edit the roster or the options, not this file.\n"
            "from autograder.hub.hubconfig import configure\n"
            "from autograder.hub.layout import Settings\n\n"
            f"configure(c, Settings.load({str(settings_path)!r}))  # noqa: F821 (c: JupyterHub's config)\n")
