"""The headline cards an AppTest page drew (dashboard.widgets' wb-card markup), as {name: value}."""

import html
import re

# The name, then an optional status or grade tag inside it, then the value.
CARD = re.compile(r'<div class="wb-name">(.*?)(?:<span class="wb-badge"[^>]*>(.*?)</span>)?</div>'
                  r'<div class="wb-value"[^>]*>(.*?)</div>', re.S)


def cards(at) -> dict[str, str]:
    return {html.unescape(name): html.unescape(value)
            for m in at.markdown for name, _tag, value in CARD.findall(m.value)}


def tags(at) -> dict[str, str]:
    """{name: tag} of the cards that carry one (满分, 部分得分 …)."""
    return {html.unescape(name): html.unescape(tag)
            for m in at.markdown for name, tag, _value in CARD.findall(m.value) if tag}
