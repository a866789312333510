"""Every user-visible string has a Chinese translation.

makemessages runs on a copy of the source tree, so the check sees strings added since the
catalogue was last updated without touching the working tree. A failure lists what is missing:
run `make messages-update`, translate the new entries in locale/zh_Hans/LC_MESSAGES/django.po.
"""

import os
import shutil
import subprocess
import sys

from django.conf import settings

CATALOGUE = "locale/zh_Hans/LC_MESSAGES/django.po"
# .data: the PostgreSQL data of `make run`, which may be running and is not ours to read.
SKIP = shutil.ignore_patterns(".venv", ".git", ".data", "staticfiles", "node_modules", "__pycache__", "*.mo")


def _entries(po_file, *flags):
    result = subprocess.run(["msgattrib", *flags, "--no-obsolete", po_file], capture_output=True, text=True, check=True)
    return [
        line[len("msgid ") :]
        for line in result.stdout.splitlines()
        if line.startswith('msgid "') and line != 'msgid ""'
    ]


def test_every_string_has_a_chinese_translation(tmp_path):
    tree = tmp_path / "src"
    shutil.copytree(settings.BASE_DIR, tree, ignore=SKIP)
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DEBUG": "true",
        # makemessages loads the settings but opens no connection: a URL where no server listens.
        "DATABASE_URL": "postgres://postgres@127.0.0.1:1/none",
    }
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-location", "--no-obsolete", "-v0"],
        cwd=tree,
        env=env,
        check=True,
    )
    catalogue = str(tree / CATALOGUE)
    assert _entries(catalogue, "--untranslated") == []
    assert _entries(catalogue, "--only-fuzzy") == []


def test_the_catalogue_has_translations():
    assert len(_entries(str(settings.BASE_DIR / CATALOGUE), "--translated")) > 100
