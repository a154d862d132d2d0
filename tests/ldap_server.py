"""A real OpenLDAP server (Debian's slapd) on loopback for the directory tests and the sync benchmark:
a slapd.conf with the mdb backend in a temporary folder, the tree loaded with slapadd before start, and
an office's directory generated to any size (units, people in their units, groups, one disabled person)."""

from __future__ import annotations

import base64
import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SLAPD = shutil.which("slapd") or ("/usr/sbin/slapd" if os.path.exists("/usr/sbin/slapd") else None)
SCHEMA_DIR = Path("/etc/ldap/schema")
MODULE_DIR = Path("/usr/lib/ldap")
SUFFIX = "dc=gov,dc=test"
ADMIN_DN = f"cn=admin,{SUFFIX}"
PASSWORD = "directory-secret"
# (code, name, parent code): a municipal government with a nested division
UNITS = (("city", "某市人民政府", None), ("office", "办公室", "city"), ("finance", "财政局", "city"),
         ("budget", "预算科", "finance"), ("approval", "行政审批局", "city"), ("letters", "信访局", "city"))
STAFF_UNITS = ("office", "finance", "budget", "approval", "letters")


def available() -> bool:
    return SLAPD is not None and (MODULE_DIR / "back_mdb.la").exists()


def _attr(name: str, value: str) -> str:
    """An LDIF line; non-ASCII values are base64 as LDIF requires."""
    if value.isascii():
        return f"{name}: {value}"
    return f"{name}:: {base64.b64encode(value.encode()).decode()}"


def _entry(dn: str, *lines: str) -> str:
    return "\n".join((_attr("dn", dn), *lines)) + "\n\n"


def unit_dn(code: str) -> str:
    parts, current = [], code
    parents = {c: p for c, _n, p in UNITS}
    while current:
        parts.append(f"ou={current}")
        current = parents.get(current) or ""
    return ",".join([*parts, SUFFIX])


def person_dn(login: str, unit: str) -> str:
    return f"uid={login},{unit_dn(unit)}"


@dataclass(frozen=True)
class Staff:
    login: str
    name: str
    unit: str


def staff(count: int) -> list[Staff]:
    """`count` people spread over the units, p0001 ... in order."""
    return [Staff(f"p{i:04d}", f"职员{i:04d}", STAFF_UNITS[i % len(STAFF_UNITS)]) for i in range(1, count + 1)]


def office_ldif(count: int = 200, disabled: tuple[str, ...] = ("p0003",)) -> str:
    """The whole tree: units, people with mail and mobile, a clerk and a leader group per unit (inside the
    unit), and office-wide groups under ou=groups (not a unit: the tests' unit filter leaves it out)."""
    out = [_entry(SUFFIX, "objectClass: dcObject", "objectClass: organization", "o: gov", "dc: gov")]
    for code, name, _parent in UNITS:
        out.append(_entry(unit_dn(code), "objectClass: organizationalUnit", f"ou: {code}", _attr("description", name)))
    out.append(_entry(f"ou=groups,{SUFFIX}", "objectClass: organizationalUnit", "ou: groups"))
    people = staff(count)
    for p in people:
        lines = ["objectClass: inetOrgPerson", f"uid: {p.login}", _attr("cn", p.name), _attr("sn", p.name[:1]),
                 f"mail: {p.login}@gov.test", f"mobile: 138{int(p.login[1:]):08d}"]
        if p.login in disabled:
            lines.append("employeeType: disabled")
        out.append(_entry(person_dn(p.login, p.unit), *lines))
    for unit in STAFF_UNITS:
        members = [p for p in people if p.unit == unit]
        if not members:
            continue
        for suffix, chosen in (("clerk", members), ("leader", members[:1])):
            out.append(_entry(f"cn={unit}_{suffix},{unit_dn(unit)}", "objectClass: groupOfNames",
                              f"cn: {unit}_{suffix}", _attr("description", f"{dict((c, n) for c, n, _ in UNITS)[unit]}"
                                                                         f"{'经办人' if suffix == 'clerk' else '领导'}"),
                              *(f"member: {person_dn(m.login, m.unit)}" for m in chosen)))
    signers = people[:3]
    out.append(_entry(f"cn=sign_leaders,ou=groups,{SUFFIX}", "objectClass: groupOfNames", "cn: sign_leaders",
                      _attr("description", "签发领导"), *(f"member: {person_dn(m.login, m.unit)}" for m in signers)))
    out.append(_entry(f"cn=it_admins,ou=groups,{SUFFIX}", "objectClass: groupOfNames", "cn: it_admins",
                      _attr("description", "信息中心管理员"), f"member: {person_dn(people[1].login, people[1].unit)}"))
    return "".join(out)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Slapd:
    """slapd in the foreground on 127.0.0.1, its database and configuration in `folder`."""

    def __init__(self, folder: Path):
        if not available():
            raise RuntimeError("slapd is not installed (apt-get install slapd ldap-utils)")
        self.slapd: str = SLAPD or "slapd"
        self.folder, self.port = folder, _free_port()
        self.url = f"ldap://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        (folder / "db").mkdir(parents=True, exist_ok=True)
        self.conf = folder / "slapd.conf"
        schemas = "".join(f"include {SCHEMA_DIR / n}.schema\n" for n in ("core", "cosine", "inetorgperson", "nis"))
        self.conf.write_text(
            f"{schemas}modulepath {MODULE_DIR}\nmoduleload back_mdb\npidfile {folder / 'slapd.pid'}\n"
            f"sizelimit unlimited\ndatabase mdb\nmaxsize 1073741824\nsuffix \"{SUFFIX}\"\n"
            f"rootdn \"{ADMIN_DN}\"\nrootpw {PASSWORD}\ndirectory {folder / 'db'}\n"
            "index objectClass,uid,employeeType eq\nlimits * size.prtotal=unlimited size=unlimited\n")

    def load(self, ldif: str) -> None:
        """Bulk-load the tree before the server starts (slapadd is much faster than adding over LDAP)."""
        path = self.folder / "seed.ldif"
        path.write_text(ldif, encoding="utf-8")
        subprocess.run([self.slapd, "-T", "add", "-q", "-f", str(self.conf), "-l", str(path)], check=True,
                       capture_output=True)

    def start(self) -> None:
        log = open(self.folder / "slapd.log", "wb")  # noqa: SIM115 -- lives as long as the server
        self.proc = subprocess.Popen([self.slapd, "-d", "0", "-f", str(self.conf), "-h", f"{self.url}/"],
                                     stdout=log, stderr=subprocess.STDOUT)
        for _attempt in range(400):  # until the port answers; each wait also notices an early exit
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                try:
                    code = self.proc.wait(timeout=0.025)
                except subprocess.TimeoutExpired:
                    continue
                raise RuntimeError(f"slapd exited with {code}: {(self.folder / 'slapd.log').read_text()[-2000:]}") from None
        raise RuntimeError("slapd did not open its port")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)

    def env(self, **extra: str) -> dict[str, str]:
        """The GOVFLOW_LDAP_* settings that point govflow at this server."""
        return {"GOVFLOW_LDAP_URL": self.url, "GOVFLOW_LDAP_BIND_DN": ADMIN_DN, "GOVFLOW_LDAP_PASSWORD": PASSWORD,
                "GOVFLOW_LDAP_BASE_DN": SUFFIX, "GOVFLOW_LDAP_SCHEMA": "openldap",
                "GOVFLOW_LDAP_UNITS_FILTER": "(&(objectClass=organizationalUnit)(!(ou=groups)))",
                "GOVFLOW_LDAP_DISABLED_FILTER": "(employeeType=disabled)", **extra}


def running(folder: Path, ldif: str) -> Iterator[Slapd]:
    """A started server with the tree, stopped afterwards (for fixtures and the benchmark)."""
    server = Slapd(folder)
    server.load(ldif)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def require_slapd() -> None:
    """Skip where slapd is missing on a developer's machine; in CI (CI=true) a missing slapd fails."""
    import pytest

    if available():
        return
    message = "slapd is not installed: apt-get install slapd ldap-utils (scripts/test-all.sh installs them)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)
