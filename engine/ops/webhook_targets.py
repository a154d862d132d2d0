"""Where a webhook may go (no server-side request forgery) and the one HTTP POST that takes it there.

A subscription URL is resolved and every address it resolves to must be public: loopback, link-local,
private, unspecified, multicast and reserved targets are refused unless an administrator has allowed
that very host (GOVFLOW_WEBHOOK_ALLOWED_HOSTS). The check is made again before each delivery, and the
request goes to the address that passed it, so a name that resolves differently a moment later (DNS
rebinding) cannot steer the request inside. Redirects are not followed: a 3xx answer is a failure."""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from collections.abc import Callable, Collection
from dataclasses import dataclass
from urllib.parse import urlsplit

from engine.core.errors import InvalidInput

MAX_URL = 1000
TIMEOUT_SECONDS = 10.0
Resolver = Callable[[str, int], list[str]]


@dataclass(frozen=True)
class Target:
    """A checked URL: the host named in it, the address to connect to, and the request path."""

    scheme: str
    host: str
    port: int
    path: str
    address: str


def resolve(host: str, port: int) -> list[str]:
    """Every address the host name resolves to (an IP literal resolves to itself)."""
    return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)})


def _refuse(reason_zh: str, reason_en: str) -> InvalidInput:
    return InvalidInput(f"「地址」{reason_zh} / url: {reason_en}", field="url")


def _kind_of(address: str) -> tuple[str, str] | None:
    """Why an address is not a public target, in Chinese and English; None when it is public."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for test, zh, en in (("is_unspecified", "未指定地址", "unspecified"), ("is_loopback", "本机回环地址", "loopback"),
                         ("is_link_local", "链路本地地址", "link-local"), ("is_private", "内网地址", "private"),
                         ("is_multicast", "组播地址", "multicast"), ("is_reserved", "保留地址", "reserved")):
        if getattr(ip, test):
            return zh, en
    if not ip.is_global:
        return "非公网地址", "not public"
    return None


def check(url: str, allowed_hosts: Collection[str], resolver: Resolver = resolve) -> Target:
    """The URL as a Target, or InvalidInput (field `url`) saying what is wrong and what to do."""
    text = (url or "").strip()
    if not text:
        raise _refuse("不能为空，请填写接收系统的 https:// 地址", "enter the receiving system's https:// address")
    if len(text) > MAX_URL:
        raise _refuse(f"不能超过 {MAX_URL} 个字符", f"at most {MAX_URL} characters")
    try:
        parts = urlsplit(text)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise _refuse("格式不正确，例如 https://example.gov.cn/hooks", "not a URL; e.g. https://example.gov.cn/hooks") from None
    if parts.scheme not in ("http", "https"):
        raise _refuse("须以 https:// 或 http:// 开头", "must start with https:// or http://")
    host = (parts.hostname or "").lower()
    if not host:
        raise _refuse("缺少主机名", "has no host name")
    if parts.username is not None or parts.password is not None:
        raise _refuse("不能含用户名或密码，签名密钥已足以证明来源", "must not carry a user name or password")
    try:
        addresses = resolver(host, port)
    except OSError:
        raise _refuse(f"的主机 {host} 无法解析，请检查拼写", f"host {host} does not resolve; check the spelling") from None
    if not addresses:
        raise _refuse(f"的主机 {host} 无法解析，请检查拼写", f"host {host} does not resolve; check the spelling")
    allowed = {name.strip().lower() for name in allowed_hosts if name.strip()}
    if host not in allowed:
        for address in addresses:
            kind = _kind_of(address)
            if kind is not None:
                raise _refuse(
                    f"的主机 {host} 指向{kind[0]} {address}，不允许发送；确属可信的内部系统，请管理员在 "
                    "GOVFLOW_WEBHOOK_ALLOWED_HOSTS 中明确允许该主机",
                    f"host {host} resolves to a {kind[1]} address ({address}); an administrator must allow that "
                    "host in GOVFLOW_WEBHOOK_ALLOWED_HOSTS")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, host, port, path, addresses[0])


class _Pinned(http.client.HTTPConnection):
    """HTTP to the checked address, with the URL's host in the Host header."""

    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedTls(http.client.HTTPSConnection):
    """HTTPS to the checked address; the certificate is verified for the URL's host."""

    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout, context=ssl.create_default_context())
        self._address = target.address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def post(target: Target, headers: dict[str, str], body: bytes, timeout: float = TIMEOUT_SECONDS) -> int:
    """POST the body and return the answer's status code; OSError when no answer came."""
    conn: http.client.HTTPConnection = (_PinnedTls if target.scheme == "https" else _Pinned)(target, timeout)
    try:
        conn.request("POST", target.path, body=body, headers=headers)
        response = conn.getresponse()
        response.read(65536)
        return response.status
    except http.client.HTTPException as exc:
        raise OSError(f"bad HTTP answer: {exc.__class__.__name__}") from exc
    finally:
        conn.close()
