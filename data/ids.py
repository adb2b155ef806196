"""身份证号 handling: GB 11643-1999 check digit, keyed hashing, masking for messages."""

import hashlib
import hmac
import os

KEY_ENV = "WEIBAO_ID_KEY"
DEMO_KEY = "weibao-demo-key-not-for-real-data"

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


class MissingKeyError(RuntimeError):
    """WEIBAO_ID_KEY is not set, so ID numbers cannot be hashed."""


def check_digit(first17: str) -> str:
    """The 18th character that GB 11643-1999 assigns to the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS))
    return _CHECK[total % 11]


def normalise(raw: str) -> str:
    """Strip spaces and upper-case a trailing x."""
    return raw.strip().upper()


def is_valid(number: str) -> bool:
    """True when the number has 17 digits, a check character, and the check character is right."""
    return (
        len(number) == 18
        and number[:17].isdigit()
        and (number[17].isdigit() or number[17] == "X")
        and check_digit(number[:17]) == number[17]
    )


def mask(raw: str) -> str:
    """Show only the first six and last four characters: 370831********123X."""
    s = str(raw).strip()
    if len(s) <= 10:
        return "*" * len(s)
    return s[:6] + "*" * (len(s) - 10) + s[-4:]


def key_from_env() -> bytes:
    """The deployment's hashing key, or MissingKeyError with a Chinese explanation."""
    key = os.environ.get(KEY_ENV, "")
    if not key:
        raise MissingKeyError(
            f"未设置环境变量 {KEY_ENV}：身份证号只以密钥哈希保存，导入真实数据前必须设置本单位的密钥"
            f"（例如 export {KEY_ENV}='一串只有本单位知道的随机字符'），且以后每次导入都用同一个密钥。"
        )
    return key.encode("utf-8")


def hash_id(number: str, key: bytes) -> str:
    """HMAC-SHA256 of a normalised ID number, hex."""
    return hmac.new(key, normalise(number).encode("ascii"), hashlib.sha256).hexdigest()


def key_fingerprint(key: bytes) -> str:
    """A value that identifies a key without revealing it, stored to refuse loads under another key."""
    return hmac.new(key, b"weibao-key-fingerprint", hashlib.sha256).hexdigest()[:16]
