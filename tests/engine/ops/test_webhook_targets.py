"""Subscription URLs cannot point inside: every address the host resolves to must be public unless an
administrator allowed that host; the refusal names the field and says what to do."""

from __future__ import annotations

import pytest

from engine.core.errors import InvalidInput
from engine.ops import webhook_targets as targets


def refusal(url: str, allowed: tuple[str, ...] = (), resolver: targets.Resolver = targets.resolve) -> str:
    with pytest.raises(InvalidInput) as refused:
        targets.check(url, allowed, resolver)
    assert refused.value.field == "url"
    return str(refused.value)


@pytest.mark.parametrize(("url", "kind"), [
    ("http://127.0.0.1:8080/hook", "本机回环地址"),
    ("http://localhost/hook", "本机回环地址"),
    ("http://[::1]/hook", "本机回环地址"),
    ("http://[::ffff:127.0.0.1]/hook", "本机回环地址"),
    ("http://169.254.169.254/latest/meta-data", "链路本地地址"),
    ("https://10.1.2.3/hook", "内网地址"),
    ("https://192.168.0.10/hook", "内网地址"),
    ("https://172.16.5.4/hook", "内网地址"),
    ("http://0.0.0.0/hook", "未指定地址"),
    ("http://100.64.0.1/hook", "非公网地址"),
    ("http://224.0.0.1/hook", "组播地址"),
])
def test_inside_targets_are_refused(url: str, kind: str) -> None:
    text = refusal(url)
    assert kind in text and "GOVFLOW_WEBHOOK_ALLOWED_HOSTS" in text and text.startswith("「地址」")


def test_an_allowed_host_may_be_inside_and_only_that_host() -> None:
    target = targets.check("http://127.0.0.1:8080/hook?x=1", ("127.0.0.1",))
    assert (target.host, target.port, target.path, target.address) == ("127.0.0.1", 8080, "/hook?x=1", "127.0.0.1")
    assert "本机回环地址" in refusal("http://localhost:8080/hook", ("127.0.0.1",))
    assert targets.check("https://LOCALHOST/h", ("localhost",)).port == 443


def test_a_name_is_judged_by_every_address_it_resolves_to() -> None:
    def split(host: str, port: int) -> list[str]:  # a name with one public and one inside address
        return ["93.184.216.34", "10.0.0.7"]

    assert "10.0.0.7" in refusal("https://peer.example.gov.cn/hook", resolver=split)
    public = targets.check("https://peer.example.gov.cn/hook", (), lambda host, port: ["93.184.216.34"])
    assert (public.scheme, public.address, public.path) == ("https", "93.184.216.34", "/hook")
    assert "无法解析" in refusal("https://no-such-host.invalid/hook")


@pytest.mark.parametrize(("url", "words"), [
    ("", "不能为空"),
    ("ftp://93.184.216.34/x", "https://"),
    ("file:///etc/passwd", "https://"),
    ("https:///nohost", "缺少主机名"),
    ("https://user:pw@93.184.216.34/x", "用户名或密码"),
    ("https://93.184.216.34:99999/x", "格式不正确"),
    ("https://93.184.216.34/" + "x" * 1000, "1000"),
])
def test_malformed_urls_are_refused_saying_what_to_do(url: str, words: str) -> None:
    assert words in refusal(url)
