"""The README's Webhooks section, as the tests read it."""

from __future__ import annotations

import re

from arcadia_pipelines_tests.test_readme import README_PATH


def section(title: str) -> str:
    """The README's `## title` section."""
    readme = README_PATH.read_text()
    start = readme.index(f"\n## {title}\n")
    end = readme.find("\n## ", start + 1)
    return readme[start:end if end != -1 else None]


def first_bash_block(text: str) -> list[str]:
    return re.search(r"```bash\n(.*?)```", text, re.DOTALL).group(1).splitlines()
