"""What a secret looks like in text, rule by rule.

Each rule names the literals that can start one (its anchors; anchors.py finds
them all in one pass, ignoring case) and, given one anchor, returns the exact
byte spans to redact. Rules work on bytes (UTF-8 or not, text or binary), with
explicit ASCII classes, and every rule reads at most MAX_LOOKBEHIND bytes before
its anchor and MAX_REACH bytes from it: that bound is what lets a file be
scrubbed in overlapping pieces with exactly the result of scrubbing it whole,
and keeps a scrub linear in its input whatever the input holds."""

from __future__ import annotations

import re
from collections.abc import Callable

from analysis.redaction.anchors import literal, name_part
from analysis.redaction.keys import judge_key
from analysis.redaction.shapes import looks_like_word, looks_random

REDACTED = b"[REDACTED]"

# Longest key-shaped token (sk-..., ghp_...): real ones are under 200 characters;
# a longer run of the same characters is data (an embedded image, a blob) and is
# left alone rather than destroyed.
MAX_TOKEN_BYTES = 1024
MAX_JWT_PART_BYTES = 8192
MAX_BEARER_BYTES = 16 * 1024
# Longest value redacted after a credential name; a longer one loses its first
# MAX_VALUE_BYTES (no real credential is that long).
MAX_VALUE_BYTES = 16 * 1024
# Longest PEM private-key body (an 8192-bit RSA key is ~6.5 KB).
MAX_PEM_BYTES = 64 * 1024
# Longest name before `=`/`:` that is judged (as before: 1 + 80 characters).
MAX_KEY_CHARS = 81
# How far from its anchor's start any rule reads, forwards and backwards.
MAX_REACH = MAX_PEM_BYTES + 1024
MAX_LOOKBEHIND = 128

Span = tuple[int, int, bytes | None]  # start, end, replacement (None: REDACTED)
Finder = Callable[[bytes, int, int, set], list[Span] | None]

# A token starts where a word starts, or right after a JSON escape (`\n`, `\t`,
# `\u0022`): MassGen logs tool arguments as escaped JSON inside JSON.
_START = rb"(?:(?<![A-Za-z0-9_])|(?<=\\[nrt])|(?<=\\u[0-9A-Fa-f]{4}))"

# (name, anchors, pattern). Each pattern is bounded and must end where its
# characters end: a longer run is not a key.
_TOKEN_PATTERNS: tuple[tuple[str, tuple[bytes, ...], bytes], ...] = (
    ("openai", (b"sk-",), rb"sk-[A-Za-z0-9_\-]{16,%(t)d}(?![A-Za-z0-9_\-])"),  # also Anthropic sk-ant-, DeepSeek
    ("stripe", (b"sk_live_", b"sk_test_", b"rk_live_", b"rk_test_"), rb"[sr]k_(?:live|test)_[A-Za-z0-9]{16,%(t)d}(?![A-Za-z0-9_])"),
    ("google", (b"aiza",), rb"AIza[0-9A-Za-z_\-]{35}(?![A-Za-z0-9_\-])"),
    ("xai", (b"xai-",), rb"xai-[A-Za-z0-9_\-]{20,%(t)d}(?![A-Za-z0-9_\-])"),
    ("groq", (b"gsk_",), rb"gsk_[A-Za-z0-9]{30,%(t)d}(?![A-Za-z0-9])"),
    ("github", (b"ghp_", b"gho_", b"ghu_", b"ghs_", b"ghr_"), rb"gh[pousr]_[A-Za-z0-9]{30,%(t)d}(?![A-Za-z0-9])"),
    ("github-pat", (b"github_pat_",), rb"github_pat_[A-Za-z0-9_]{30,%(t)d}(?![A-Za-z0-9_])"),
    ("huggingface", (b"hf_",), rb"hf_[A-Za-z0-9]{30,%(t)d}(?![A-Za-z0-9])"),
    ("aws", (b"akia", b"asia"), rb"(?:AKIA|ASIA)[0-9A-Z]{16}(?![A-Za-z0-9_])"),
    ("slack", (b"xoxa-", b"xoxb-", b"xoxp-", b"xoxr-", b"xoxs-"), rb"xox[abprs]-[A-Za-z0-9\-]{10,%(t)d}(?![A-Za-z0-9\-])"),
    # header.payload[.signature]: JWS (and the first parts of a JWE); the header is JSON, so "eyJ".
    ("jwt", (b"eyj",), rb"eyJ[A-Za-z0-9_\-]{8,%(j)d}\.[A-Za-z0-9_\-]{8,%(j)d}(?:\.[A-Za-z0-9_\-]{0,%(j)d}){0,3}(?![A-Za-z0-9_\-])"),
)


def _token_finder(pattern: bytes) -> Finder:
    compiled = re.compile(_START + pattern % {b"t": MAX_TOKEN_BYTES, b"j": MAX_JWT_PART_BYTES})

    def find(buf, at: int, stop: int, _seen: set) -> list[Span] | None:
        match = compiled.match(buf, at, stop)
        return [(at, match.end(), None)] if match else None

    return find


# "Bearer <token>" of any alphabet. A token that is a plain word ("Bearer
# tokens", "Bearer Authentication") or shorter than this is prose.
MIN_BEARER_CHARS = 8
_BEARER = re.compile(
    _START + rb"[Bb][Ee][Aa][Rr][Ee][Rr](?:[ \t]|\\t){1,16}(?P<token>[A-Za-z0-9._~+/=\-]{1,%d})(?![A-Za-z0-9._~+/=\-])"
    % MAX_BEARER_BYTES
)


def _bearer(buf, at: int, stop: int, _seen: set) -> list[Span] | None:
    match = _BEARER.match(buf, at, stop)
    if match is None:
        return None
    token = match.group("token")
    if len(token) < MIN_BEARER_CHARS or looks_like_word(token.rstrip(b".")):
        return None
    return [(match.start("token"), match.end("token"), None)]


# scheme://user:password@host, also with JSON-escaped slashes (https:\/\/).
# The password may hold '@' and ':' (the last '@' before the host ends it).
_NOT_URL = rb"\s/?#\"'<>\\\x00-\x1f\x7f"
_USERINFO = re.compile(
    rb"(?<=[A-Za-z0-9])(?:://|:\\/\\/)(?P<user>[^" + _NOT_URL + rb"@:\[\]]{0,256})"
    rb"(?::(?P<password>[^" + _NOT_URL + rb"]{1,256}))?@(?=[^" + _NOT_URL + rb"@])"
)


def _userinfo(buf, at: int, stop: int, _seen: set) -> list[Span] | None:
    match = _USERINFO.match(buf, at, stop)
    if match is None:
        return None
    password = match.group("password")
    if password is not None:
        return None if password == REDACTED else [(match.start("password"), match.end("password"), None)]
    user = match.group("user")
    return [(match.start("user"), match.end("user"), None)] if looks_random(user) else None


# -----BEGIN [RSA|EC|OPENSSH|ENCRYPTED|PGP ...] PRIVATE KEY[ BLOCK]-----: the body
# goes, up to the matching END line; without one, the run of characters a body holds.
_PEM_BEGIN = re.compile(rb"-----BEGIN (?P<label>(?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?)-----")
_PEM_BODY = re.compile(rb"(?:[A-Za-z0-9+/= \t\r\n]|\\+[nrt]|(?:Proc-Type|DEK-Info|Comment|Version): ?[^\r\n\\]{0,200})*")
_PEM_EDGE = re.compile(rb"(?:[ \t\r\n]|\\+[nrt])*")
_WHITESPACE = frozenset(b" \t\r\n")


class ScanMemo(set):
    """What one scan of a buffer has learnt, shared by the rules: the name starts
    already looked at (the set), and how far a PEM block's END line was searched
    for in vain (per label), so a buffer of BEGIN lines alone is read once, not
    MAX_PEM_BYTES per line."""

    def __init__(self) -> None:
        super().__init__()
        self.pem_end_absent_until: dict[bytes, int] = {}


def _pem(buf, at: int, stop: int, memo: set) -> list[Span] | None:
    begin = _PEM_BEGIN.match(buf, at, stop)
    if begin is None:
        return None
    start = begin.end()
    limit = min(stop, start + MAX_PEM_BYTES)
    label = begin.group("label")
    absent = getattr(memo, "pem_end_absent_until", {})
    searched = absent.get(label, 0)
    end = -1 if searched >= limit else buf.find(b"-----END " + label + b"-----", max(start, searched - 64), limit)
    if end < 0:
        absent[label] = max(searched, limit)
        end = _PEM_BODY.match(buf, start, limit).end()
    start = _PEM_EDGE.match(buf, start, end).end()
    while end > start:  # keep the line breaks around the body
        if buf[end - 1] in _WHITESPACE:
            end -= 1
        elif end - 2 >= start and buf[end - 2] == 0x5C and buf[end - 1] in b"nrt":
            end -= 2
            while end > start and buf[end - 1] == 0x5C:
                end -= 1
        else:
            break
    if end <= start or buf[start:end] == REDACTED:
        return None
    return [(start, end, None)]


# --- NAME=value, NAME: value, "name": "value", {\"name\": \"value\"}, --name value

_IDENT_BYTES = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-"
# Maps name characters to 'a' and everything else to ' ', so that rfind(b" ")
# finds where a name starts.
_NAME_MASK = bytes(0x61 if byte in _IDENT_BYTES else 0x20 for byte in range(256))
_IDENT_RUN = re.compile(rb"[A-Za-z0-9_.\-]*")
_NAME_START = re.compile(rb"[^A-Za-z_]*")
# The name's closing quote (escaped to any depth), then `:`, `=`, `:=` or `=>`;
# not `==`, `::` or `://`.
_SEPARATOR = re.compile(
    rb"(?P<quote>\\{0,7}[\"'])?[ \t]{0,16}(?::=|=>|:(?![:=]|//)|=(?![=>~]))(?:[ \t\r\n]|\\[nrt]){0,64}"
)
_SPACES = re.compile(rb"[ \t]{1,4}")
# An unquoted value runs up to whitespace, a quote, `,;})]`, a control
# character or a backslash escape (`\n`, `\"` inside an escaped string).
_UNQUOTED = re.compile(rb"(?:[^\s\"',;}\])\\\x00-\x1f\x7f]|\\(?![\\\"'nrtbfu/]))+")
# Unquoted values that say nothing secret (and JSON needs kept as they are).
_PLAIN_LITERALS = frozenset({b"null", b"true", b"false", b"none", b"nil", b"~", b"undefined"})
# `Authorization: Bearer <token>`: the scheme stays, the credential goes.
_AUTH_SCHEMES = frozenset({b"bearer", b"basic", b"digest", b"token", b"bot", b"negotiate", b"ntlm", b"apikey", b"dpop"})
_SCHEME_GAP = re.compile(rb"[ \t]{1,4}")


def _name_start(buf, at: int) -> int | None:
    """Where the name holding `at` starts, or None when it is longer than MAX_KEY_CHARS."""
    window_start = max(0, at - MAX_KEY_CHARS - 1)
    left = bytes(buf[window_start:at]).translate(_NAME_MASK).rfind(b" ")
    if left < 0 and window_start > 0:
        return None
    return window_start + left + 1


def _name_span(buf, start: int, at: int) -> tuple[int, int, bool] | None:
    """(start, end, is a --flag) of the name starting at `start` and holding
    `at`, or None when it is longer than MAX_KEY_CHARS."""
    end = _IDENT_RUN.match(buf, at, min(len(buf), start + MAX_KEY_CHARS + 1)).end()
    if end - start > MAX_KEY_CHARS:
        return None
    # `\napi_key=...` inside escaped JSON: the name starts after the escape letter.
    if start > 0 and buf[start - 1] == 0x5C and buf[start] in b"nrt":
        start += 1
    # A name starts with a letter or '_' ("--api-key" is the name "api-key").
    leading = _NAME_START.match(buf, start, end).end()
    flag = leading > start and buf[start] == 0x2D
    return leading, end, flag


def _closing_quote(buf, start: int, limit: int, quote: int, escapes: int) -> int:
    """Where a string opened by `escapes` backslashes and `quote` closes (the
    first of its closing backslashes), or -1. A quote closes the string when
    the backslashes before it say so at this depth: 0 -> an even count, 1 -> 1
    mod 4, 3 -> 3 mod 8, ..."""
    modulus = 2 * (escapes + 1)
    position = start
    while True:
        found = buf.find(quote, position, limit)
        if found < 0:
            return -1
        run = 0
        while found - run - 1 >= start and buf[found - run - 1] == 0x5C:
            run += 1
        if run % modulus == escapes:
            return found - escapes
        position = found + 1


def _char_end(buf, end: int) -> int:
    """`end` moved past any UTF-8 continuation bytes, so no character is cut."""
    size = len(buf)
    while end < size and 0x80 <= buf[end] < 0xC0:
        end += 1
    return end


def _quoted_value(buf, at: int, stop: int) -> tuple[int, int] | None:
    """(start, end) of the inside of a quoted string starting at `at` (a quote
    after 0, 1, 3 or 7 backslashes), or None when there is none."""
    escapes = 0
    while at + escapes < stop and buf[at + escapes] == 0x5C and escapes < 8:
        escapes += 1
    if at + escapes >= stop or buf[at + escapes] not in b"\"'" or escapes not in (0, 1, 3, 7):
        return None
    start = at + escapes + 1
    limit = min(stop, start + MAX_VALUE_BYTES)
    newline = buf.find(b"\n", start, limit)
    if newline >= 0:
        limit = newline
    end = _closing_quote(buf, start, limit, buf[at + escapes : at + escapes + 1], escapes)
    # An unterminated string (a cut log line) loses everything up to the line's end.
    return start, (end if end >= 0 else _char_end(buf, limit))


# A first, cheap look after a name part (at the anchor): the rest of the name,
# then `:`/`=` or spaces and 16 characters a random value starts with. Names in
# prose ("key differences", "Key axes:") stop here.
_MAY_FOLLOW = re.compile(
    rb"(?:[_.\-A-Z][A-Za-z0-9_.\-]{0,%d})?(?:(?:\\{0,7}[\"'])?[ \t]{0,16}[:=]|[ \t]{1,4}(?:\\{0,7}[\"'])?[A-Za-z0-9+/_\-]{16})"
    % MAX_KEY_CHARS
)


def _assignment(buf, at: int, stop: int, seen: set) -> list[Span] | None:
    follows = _MAY_FOLLOW.match(buf, at, stop) is not None
    if buf[at] not in _IDENT_BYTES:
        at -= 1  # the anchor is the character after the name part
    name_start = _name_start(buf, at)
    # Only a --flag takes any value after a space.
    if name_start is None or not (follows or buf[name_start] == 0x2D):
        return None
    name = _name_span(buf, name_start, at)
    if name is None:
        return None
    start, end, flag = name
    if start >= end or start in seen:
        return None
    seen.add(start)  # one name holds several anchors ("secret_token")
    # The separator first: most anchors are words in prose or data, and judging
    # a name costs more than looking at what follows it.
    separator = _SEPARATOR.match(buf, end, stop)
    spaced = separator is None
    if spaced:
        # `--api-key abc` or `API key 5f4d...`: a space alone is a separator only
        # for a command-line flag or a value that looks random.
        separator = _SPACES.match(buf, end, stop)
        if separator is None:
            return None
    secret, secret_like = judge_key(bytes(buf[start:end]))
    if not secret_like:
        return None
    value = separator.end()
    if value >= stop or buf.startswith(REDACTED, value):
        return None
    opener = buf[value]
    quoted = _quoted_value(buf, value, stop) if opener in b"\"'\\" else None
    if quoted is not None:
        value_start, value_end = quoted
        text = bytes(buf[value_start:value_end])
        if not text or text == REDACTED:
            return None
        if (secret and not spaced) or looks_random(text):
            return [(value_start, value_end, None)]
        return None
    if opener == 0x7B:  # "{": the names inside are judged one by one
        return None
    if spaced:
        return _spaced_value(buf, value, stop, secret and flag)
    quote = separator.group("quote")
    # "password": 1234 -> "password": "[REDACTED]": JSON stays JSON.
    replacement = None if quote is None else quote + REDACTED + quote
    if opener == 0x5B:  # "[a, b]": a flow list, redacted whole
        close = buf.find(b"]", value, min(stop, value + MAX_VALUE_BYTES))
        if close < 0 or not secret or buf.find(b"\n", value, close) >= 0:
            return None
        if buf.find(REDACTED, value, close + 1) >= 0:
            return None  # its "]" closes an earlier redaction: scrubbing again must change nothing
        return [(value, close + 1, replacement)]
    run = _UNQUOTED.match(buf, value, min(stop, value + MAX_VALUE_BYTES))
    if run is None:
        return None
    value_end = _char_end(buf, run.end())
    text = bytes(buf[value:value_end])
    if text.lower() in _PLAIN_LITERALS:
        return None
    if not secret:
        # A query string goes on after '&': judge this parameter's value alone.
        cut = text.find(b"&")
        if cut >= 0:
            text, value_end = text[:cut], value + cut
        return [(value, value_end, None)] if looks_random(text) else None
    if text.lower() in _AUTH_SCHEMES:
        return _scheme_credential(buf, value_end, stop)
    return [(value, value_end, replacement)]


def _spaced_value(buf, value: int, stop: int, flag: bool) -> list[Span] | None:
    """The value after `NAME value`: redacted when it looks random, or after a
    credential --flag whatever it is (unless it is the next flag)."""
    run = _UNQUOTED.match(buf, value, min(stop, value + MAX_VALUE_BYTES))
    if run is None:
        return None
    value_end = _char_end(buf, run.end())
    text = bytes(buf[value:value_end])
    if (flag and buf[value] != 0x2D) or looks_random(text):
        return [(value, value_end, None)]
    return None


def _scheme_credential(buf, scheme_end: int, stop: int) -> list[Span] | None:
    """`Authorization: Bearer <credential>`: the credential, not the scheme."""
    gap = _SCHEME_GAP.match(buf, scheme_end, stop)
    if gap is None or buf.startswith(REDACTED, gap.end()):
        return None
    credential = _UNQUOTED.match(buf, gap.end(), min(stop, gap.end() + MAX_VALUE_BYTES))
    if credential is None:
        return None
    return [(credential.start(), _char_end(buf, credential.end()), None)]


# The whole name parts that make a name a credential or credential-like
# (keys.py); a name that is neither holds none of them.
_NAME_ANCHORS = (
    name_part(b"secrets?"),
    name_part(b"pass(?:word|wd|phrase)"),
    name_part(b"pwd"),
    name_part(b"credentials?"),
    name_part(b"auth(?:orization)?"),
    name_part(b"cookie"),
    name_part(b"apikey"),
    name_part(b"keys?"),
    name_part(b"token", last=True),  # only as the last part (not max_tokens, token_usage)
    name_part(b"sig(?:nature)?"),
    name_part(b"hmac"),
)


# The literals every anchor holds, for a test that must also hold on text whose
# case was changed (the name parts above depend on case at their edges).
CASELESS_MARKERS = (b"secret", b"pass", b"pwd", b"credential", b"auth", b"cookie", b"key", b"token", b"sig", b"hmac")


def _literals(*texts: bytes) -> tuple[tuple[bytes, int], ...]:
    return tuple(literal(text) for text in texts)


# Every rule: (name, anchors, finder).
RULES: tuple[tuple[str, tuple[tuple[bytes, int], ...], Finder], ...] = (
    *((name, _literals(*anchors), _token_finder(pattern)) for name, anchors, pattern in _TOKEN_PATTERNS),
    ("bearer", _literals(b"bearer"), _bearer),
    ("url-userinfo", _literals(b"://", b":\\/\\/"), _userinfo),
    ("pem-private-key", _literals(b"-----begin"), _pem),
    ("assignment", _NAME_ANCHORS, _assignment),
)
