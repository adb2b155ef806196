"""Shared command-line helpers: an argparse parser that speaks Chinese, and how times are printed."""

import argparse
import ast
import re
import sys
import unicodedata
from datetime import datetime

# Exit code of a wrong command line (argparse's own, kept so scripts can tell it from the others).
USAGE_ERROR = 2

_TYPE_NAMES = {"int": "整数", "float": "数字"}
# Region levels as messages name them.
LEVEL_NAMES = {"city": "市", "county": "县级单位", "township": "乡镇（街道）", "village": "村（社区）"}


def _value(text: str) -> str:
    """A value argparse quoted with repr(), as the user typed it, in Chinese quotes."""
    try:
        text = str(ast.literal_eval(text))
    except (ValueError, SyntaxError):
        pass
    return f"“{text}”"


def _names(text: str) -> str:
    return "、".join(part.strip() for part in text.split(","))


def _choices(text: str) -> str:
    return "、".join(part.strip().strip("'\"") for part in text.split(","))


def _detail(message: str) -> str:
    """The part of an 'argument X: …' message after the colon."""
    if m := re.fullmatch(r"invalid choice: (.+?) \(choose from (.*)\)", message):
        return f"取值 {_value(m[1])} 无效，可选：{_choices(m[2])}"
    if m := re.fullmatch(r"invalid (\S+) value: (.+)", message):
        kind = _TYPE_NAMES.get(m[1])
        return f"{_value(m[2])} 不是{kind}" if kind else f"取值 {_value(m[2])} 无效"
    if message == "expected one argument":
        return "后面缺少取值"
    if message == "expected at most one argument":
        return "后面最多只能跟一个取值"
    if message == "expected at least one argument":
        return "后面至少要跟一个取值"
    if m := re.fullmatch(r"expected (\d+) arguments?", message):
        return f"后面应跟 {m[1]} 个取值"
    if m := re.fullmatch(r"ignored explicit argument (.+)", message):
        return f"不接受取值 {_value(m[1])}"
    if m := re.fullmatch(r"not allowed with argument (.+)", message):
        return f"不能与 {m[1]} 同时使用"
    return message  # our own type functions already raise Chinese messages


def translate(message: str) -> str:
    """argparse's English error message in Chinese (the forms Python 3.11–3.13 produce)."""
    if m := re.fullmatch(r"the following arguments are required: (.+)", message):
        return f"缺少必需的参数：{_names(m[1])}"
    if m := re.fullmatch(r"one of the arguments (.+) is required", message):
        return f"必须给出以下参数之一：{_names(m[1].replace(' ', ','))}"
    if m := re.fullmatch(r"unrecognized arguments: (.+)", message):
        return f"无法识别的参数：{m[1]}"
    if m := re.fullmatch(r"ambiguous option: (\S+) could match (.+)", message):
        return f"选项 {m[1]} 有歧义，可能是：{_names(m[2])}"
    if m := re.fullmatch(r"unexpected option string: (.+)", message):
        return f"意外的选项：{m[1]}"
    if m := re.fullmatch(r"argument (.+?): (.+)", message, flags=re.S):
        return f"参数 {m[1]}：{_detail(m[2])}"
    return message


USAGE_PREFIX = "用法："


def _width(text: str) -> int:
    """Columns the text takes on a terminal: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


# Punctuation a Chinese line may not begin with: it stays at the end of the line before.
_NO_LINE_START = set("，。、；：？！）》」』”’")


def wrap(text: str, width: int) -> list[str]:
    """Lines of at most `width` columns; Chinese may break between any two characters, other words stay whole."""
    lines, line = [], ""
    for token in re.findall(r"\s+|[^\s\u2e80-\uffef]+|.", " ".join(text.split())):
        if line and _width(line + token) > width and token not in _NO_LINE_START:
            lines.append(line.rstrip())
            line = token.lstrip()
        else:
            line += token
    return lines + [line.rstrip()] if line.strip() else lines


class _Formatter(argparse.HelpFormatter):
    """argparse's help layout, measured in terminal columns, with a Chinese usage prefix."""

    def add_usage(self, usage, actions, groups, prefix=None):
        super().add_usage(usage, actions, groups, USAGE_PREFIX if prefix is None else prefix)

    def _format_usage(self, usage, actions, groups, prefix):
        text = super()._format_usage(usage, actions, groups, prefix)
        # argparse indents continuation lines by len(prefix); the prefix is wider than that.
        extra = " " * (_width(prefix) - len(prefix))
        first, *rest = text.split("\n")
        return "\n".join([first] + [extra + line if line.strip() else line for line in rest])

    def _split_lines(self, text, width):
        return wrap(text, width)

    def _fill_text(self, text, width, indent):
        return "\n".join(indent + line for line in wrap(text, width - len(indent)))


class ChineseParser(argparse.ArgumentParser):
    """argparse with Chinese usage, help headings and error messages; a usage error exits with 2."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", _Formatter)
        add_help = kwargs.pop("add_help", True)
        super().__init__(*args, add_help=False, **kwargs)
        self._positionals.title = "位置参数"
        self._optionals.title = "选项"
        if add_help:
            self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS,
                              help="显示本帮助并退出")

    def _print_message(self, message, file=None):
        # A console that cannot encode Chinese must get escapes, not a traceback.
        stream = file or sys.stderr
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
        super()._print_message(message, stream)

    def error(self, message):
        self.print_usage(sys.stderr)
        self.exit(USAGE_ERROR, f"{self.prog}：参数错误：{translate(message)}\n"
                               f"查看全部参数：{self.prog} -h\n")


def minute(moment: datetime) -> str:
    """A timestamp as printed to people: local time, to the minute (an aware time is converted)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone()
    return moment.strftime("%Y-%m-%d %H:%M")
