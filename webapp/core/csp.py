"""What the Content-Security-Policy (settings: CONTENT_SECURITY_POLICY) must allow
by hash: the inline <style> blocks of a template that cannot link a stylesheet."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

_STYLE_BLOCK = re.compile(r"<style>(.*?)</style>", re.DOTALL)


def inline_style_hashes(template: Path) -> list[str]:
    """`'sha256-…'` of each <style> block's text, exactly as the browser hashes it
    (the block must hold no template tags, or the rendered text would differ)."""
    return [
        f"'sha256-{base64.b64encode(hashlib.sha256(block.encode()).digest()).decode()}'"
        for block in _STYLE_BLOCK.findall(template.read_text(encoding="utf-8"))
    ]
