"""Headless Chromium for the browser tests: Debian's chromium and chromium-driver (make setup)."""

import shutil

import pytest

AVAILABLE = bool(shutil.which("chromium") and shutil.which("chromedriver"))
needs_chromium = pytest.mark.skipif(not AVAILABLE, reason="needs Debian's chromium and chromium-driver (make setup)")
# no sandbox as root, no GPU, and no background connections (this machine's network is closed)
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1280,2000"]


def start(user_data_dir):
    """A new headless Chromium with its own empty profile; the caller quits it."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in FLAGS + [f"--user-data-dir={user_data_dir}"]:
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
