"""Reading the office's directory (OpenLDAP or Active Directory) with ldap3 into plain records: units,
people and groups, each carrying the directory's stable key, so the sync never depends on a DN that a
rename or a move changes."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import ldap3
from ldap3.core.exceptions import (
    LDAPBindError,
    LDAPException,
    LDAPInvalidCredentialsResult,
    LDAPSocketOpenError,
)
from ldap3.utils.dn import parse_dn

from engine.core.errors import InvalidInput

SCHEMAS = ("openldap", "ad")
ATTRIBUTE_KEYS = ("key", "login", "name", "mail", "mobile", "unit_code", "unit_name", "group_code", "group_name",
                  "member")
# What each schema calls things; GOVFLOW_LDAP_ATTRIBUTES overrides any of them.
DEFAULT_ATTRIBUTES: dict[str, dict[str, str]] = {
    "openldap": {"key": "entryUUID", "login": "uid", "name": "cn", "mail": "mail", "mobile": "mobile",
                 "unit_code": "ou", "unit_name": "description", "group_code": "cn", "group_name": "description",
                 "member": "member"},
    "ad": {"key": "objectGUID", "login": "sAMAccountName", "name": "displayName", "mail": "mail",
           "mobile": "mobile", "unit_code": "ou", "unit_name": "description", "group_code": "cn",
           "group_name": "description", "member": "member"},
}
DEFAULT_FILTERS: dict[str, dict[str, str]] = {
    "openldap": {"people": "(objectClass=inetOrgPerson)", "units": "(objectClass=organizationalUnit)",
                 "groups": "(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames))", "disabled": ""},
    "ad": {"people": "(&(objectCategory=person)(objectClass=user))", "units": "(objectClass=organizationalUnit)",
           "groups": "(objectClass=group)", "disabled": "(userAccountControl:1.2.840.113556.1.4.803:=2)"},
}
ENV = "GOVFLOW_LDAP_"


@dataclass(frozen=True)
class DirectorySettings:
    url: str
    base_dn: str
    schema: str = "openldap"
    bind_dn: str | None = None
    password: str | None = None
    attributes: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_ATTRIBUTES["openldap"]))
    filters: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_FILTERS["openldap"]))
    page_size: int = 500
    timeout: int = 30


def settings_from_env(env: Mapping[str, str]) -> DirectorySettings:
    """The directory's settings from GOVFLOW_LDAP_* variables; a missing or malformed one is named."""
    def need(name: str) -> str:
        value = (env.get(ENV + name) or "").strip()
        if not value:
            raise InvalidInput(f"未配置目录服务：请设置环境变量 {ENV}{name} / {ENV}{name} is not set; "
                               "see docs/identity.md", field=ENV + name)
        return value

    url, base = need("URL"), need("BASE_DN")
    if not url.startswith(("ldap://", "ldaps://")):
        raise InvalidInput(f"{ENV}URL 应以 ldap:// 或 ldaps:// 开头 / {ENV}URL must start with ldap:// or ldaps://, "
                           f"not '{url}'", field=ENV + "URL")
    schema = (env.get(ENV + "SCHEMA") or "openldap").strip().lower()
    if schema not in SCHEMAS:
        raise InvalidInput(f"{ENV}SCHEMA 只能是 openldap 或 ad / {ENV}SCHEMA must be openldap or ad, not '{schema}'",
                           field=ENV + "SCHEMA")
    attributes = dict(DEFAULT_ATTRIBUTES[schema])
    attributes.update(_pairs(env.get(ENV + "ATTRIBUTES") or "", ENV + "ATTRIBUTES"))
    filters = dict(DEFAULT_FILTERS[schema])
    for name in filters:
        value = env.get(f"{ENV}{name.upper()}_FILTER")
        if value is not None:
            filters[name] = _filter(value.strip(), f"{ENV}{name.upper()}_FILTER", allow_empty=name == "disabled")
    page = (env.get(ENV + "PAGE_SIZE") or "500").strip()
    if not page.isdigit() or not 1 <= int(page) <= 5000:
        raise InvalidInput(f"{ENV}PAGE_SIZE 应为 1 到 5000 的整数 / {ENV}PAGE_SIZE must be a whole number "
                           f"from 1 to 5000, not '{page}'", field=ENV + "PAGE_SIZE")
    return DirectorySettings(url=url, base_dn=base, schema=schema, bind_dn=(env.get(ENV + "BIND_DN") or None),
                             password=env.get(ENV + "PASSWORD") or None, attributes=attributes, filters=filters,
                             page_size=int(page))


def _pairs(text: str, variable: str) -> dict[str, str]:
    """'login=uid,name=displayName': which directory attribute holds each thing govflow reads."""
    found: dict[str, str] = {}
    for item in text.replace("，", ",").split(","):
        if not item.strip():
            continue
        key, sep, attr = item.partition("=")
        key, attr = key.strip(), attr.strip()
        if not sep or key not in ATTRIBUTE_KEYS or not attr or " " in attr:
            raise InvalidInput(f"{variable} 中的「{item.strip()}」应写作 名称=属性，名称为 {', '.join(ATTRIBUTE_KEYS)} "
                               f"之一 / {variable}: '{item.strip()}' should be NAME=attribute with NAME one of "
                               f"{', '.join(ATTRIBUTE_KEYS)}", field=variable)
        found[key] = attr
    return found


def _filter(value: str, variable: str, allow_empty: bool = False) -> str:
    if not value and allow_empty:
        return ""
    if not (value.startswith("(") and value.endswith(")") and value.count("(") == value.count(")")):
        raise InvalidInput(f"{variable} 不是有效的 LDAP 过滤条件，例如 (objectClass=person) / {variable} is not an "
                           f"LDAP filter such as (objectClass=person): '{value}'", field=variable)
    return value


@dataclass(frozen=True)
class Unit:
    key: str
    dn: tuple[tuple[str, str], ...]
    code: str
    name: str
    parent_key: str | None = None


@dataclass(frozen=True)
class Person:
    key: str
    login: str
    name: str
    mail: str | None
    mobile: str | None
    unit_key: str | None
    disabled: bool = False


@dataclass(frozen=True)
class DirGroup:
    key: str
    code: str
    name: str
    unit_key: str | None
    member_keys: frozenset[str] = frozenset()


@dataclass
class Snapshot:
    """Everything read from the directory in one pass, plus entries that could not be used and why."""

    units: list[Unit] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)
    groups: list[DirGroup] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def normal_dn(dn: str) -> tuple[tuple[str, str], ...]:
    """A DN as comparable parts: attribute names and values lower-cased, spaces around them dropped."""
    return tuple((attr.strip().lower(), value.strip().lower()) for attr, value, _sep in parse_dn(dn))


def _nearest(dn: tuple[tuple[str, str], ...], units: Mapping[tuple[tuple[str, str], ...], str]) -> str | None:
    """The key of the closest unit above an entry (its own DN excluded)."""
    for start in range(1, len(dn)):
        key = units.get(dn[start:])
        if key is not None:
            return key
    return None


def _text(attrs: Mapping[str, Any], name: str) -> str | None:
    value = attrs.get(name)
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    text = str(value).strip() if value is not None else ""
    return text or None


def _key(entry: Mapping[str, Any], name: str) -> str | None:
    """The stable key: an AD objectGUID arrives as 16 bytes (little-endian UUID), entryUUID as text."""
    raw = (entry.get("raw_attributes") or {}).get(name)
    if isinstance(raw, list) and raw and isinstance(raw[0], bytes) and len(raw[0]) == 16:
        return str(uuid.UUID(bytes_le=raw[0]))
    return _text(entry.get("attributes") or {}, name)


class Reader:
    """One bound, read-only connection to the directory, searched page by page."""

    def __init__(self, settings: DirectorySettings):
        self.settings = settings
        server = ldap3.Server(settings.url, get_info=ldap3.NONE, connect_timeout=settings.timeout)
        try:
            self.conn = ldap3.Connection(server, user=settings.bind_dn, password=settings.password, auto_bind=True,
                                         read_only=True, receive_timeout=settings.timeout, raise_exceptions=True)
        except LDAPSocketOpenError as exc:
            raise InvalidInput(f"无法连接目录服务器 {settings.url}，请检查 {ENV}URL / cannot reach the directory at "
                               f"{settings.url} ({exc}); check {ENV}URL", field=ENV + "URL") from None
        except (LDAPBindError, LDAPInvalidCredentialsResult):
            raise InvalidInput(f"目录服务器拒绝了登录，请检查 {ENV}BIND_DN 和 {ENV}PASSWORD / the directory refused "
                               f"the bind as '{settings.bind_dn or 'anonymous'}'; check {ENV}BIND_DN and "
                               f"{ENV}PASSWORD", field=ENV + "BIND_DN") from None

    def close(self) -> None:
        self.conn.unbind()

    def search(self, ldap_filter: str, attributes: list[str]) -> Iterator[dict[str, Any]]:
        try:
            for entry in self.conn.extend.standard.paged_search(
                    self.settings.base_dn, ldap_filter, search_scope=ldap3.SUBTREE, attributes=attributes,
                    paged_size=self.settings.page_size, generator=True):
                if entry.get("type") == "searchResEntry":
                    yield entry
        except LDAPException as exc:
            raise InvalidInput(f"目录查询失败（{ENV}BASE_DN 或过滤条件有误？）/ the directory search under "
                               f"'{self.settings.base_dn}' with {ldap_filter} failed: {exc}; check {ENV}BASE_DN "
                               "and the filters", field=ENV + "BASE_DN") from None


def read(settings: DirectorySettings) -> Snapshot:
    """Read units, people and groups under the base DN."""
    reader = Reader(settings)
    try:
        return _read(reader, settings)
    finally:
        reader.close()


def _read(reader: Reader, settings: DirectorySettings) -> Snapshot:
    a, f, snap = settings.attributes, settings.filters, Snapshot()
    raw_units = []
    for entry in reader.search(f["units"], [a["key"], a["unit_code"], a["unit_name"]]):
        key, code = _key(entry, a["key"]), _text(entry["attributes"], a["unit_code"])
        if key is None or code is None:
            snap.skipped.append(f"{entry['dn']}: 缺少 {a['key'] if key is None else a['unit_code']} / missing attribute")
            continue
        raw_units.append((normal_dn(entry["dn"]), key, code, _text(entry["attributes"], a["unit_name"]) or code))
    by_dn = {dn: key for dn, key, _c, _n in raw_units}
    snap.units = [Unit(key, dn, code, name, _nearest(dn, by_dn)) for dn, key, code, name in raw_units]
    disabled: set[str] = set()
    if f["disabled"]:
        people = f["people"]
        disabled = {k for e in reader.search(f"(&{people}{f['disabled']})", [a["key"]]) if (k := _key(e, a["key"]))}
    person_by_dn: dict[tuple[tuple[str, str], ...], str] = {}
    for entry in reader.search(f["people"], [a["key"], a["login"], a["name"], a["mail"], a["mobile"]]):
        attrs, key = entry["attributes"], _key(entry, a["key"])
        login = _text(attrs, a["login"])
        if key is None or login is None:
            snap.skipped.append(f"{entry['dn']}: 缺少 {a['key'] if key is None else a['login']} / missing attribute")
            continue
        dn = normal_dn(entry["dn"])
        person_by_dn[dn] = key
        snap.people.append(Person(key, login, _text(attrs, a["name"]) or login, _text(attrs, a["mail"]),
                                  _text(attrs, a["mobile"]), _nearest(dn, by_dn), key in disabled))
    for entry in reader.search(f["groups"], [a["key"], a["group_code"], a["group_name"], a["member"],
                                             "uniqueMember"]):
        attrs, key, code = entry["attributes"], _key(entry, a["key"]), _text(entry["attributes"], a["group_code"])
        if key is None or code is None:
            snap.skipped.append(f"{entry['dn']}: 缺少 {a['key'] if key is None else a['group_code']} / missing attribute")
            continue
        members = [*(attrs.get(a["member"]) or []), *(attrs.get("uniqueMember") or [])]
        keys = frozenset(k for m in members if (k := person_by_dn.get(_member_dn(m))) is not None)
        snap.groups.append(DirGroup(key, code, _text(attrs, a["group_name"]) or code,
                                    _nearest(normal_dn(entry["dn"]), by_dn), keys))
    return snap


def _member_dn(value: Any) -> tuple[tuple[str, str], ...]:
    try:
        return normal_dn(str(value))
    except LDAPException:
        return ()
