"""A private OpenLDAP server for the tests: its own configuration, database and loopback port.

It loads core, cosine, inetorgperson and the project's SupAnn/eduPerson schema
(`ldap/supann-eduperson.schema`), then an LDIF of people with slapadd, and serves it on
127.0.0.1 until stopped. The machine's own slapd, if any, is never touched.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from ldap3 import Connection, Server

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
SCHEMA = HERE / "ldap" / "supann-eduperson.schema"
SYSTEM_SCHEMAS = ("core", "cosine", "inetorgperson")
SLAPD = Path("/usr/sbin/slapd")
SUFFIX = "dc=univ-exemple,dc=fr"
ADMIN_DN = f"cn=admin,{SUFFIX}"
ADMIN_PASSWORD = "admin-secret"
# A reader that may only get 5 entries a search but any number through pages, and one whose
# paged searches are cut after 7 entries (a server-side limit that truncates the directory).
READER_DN = f"cn=reader,{SUFFIX}"
TRUNCATED_DN = f"cn=truncated,{SUFFIX}"
READER_PASSWORD = "reader-secret"

_ROOT_LDIF = f"""\
dn: {SUFFIX}
objectClass: top
objectClass: dcObject
objectClass: organization
dc: univ-exemple
o: Universite Exemple

"""

_READERS_LDIF = f"""\
dn: {READER_DN}
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: reader
userPassword: {READER_PASSWORD}

dn: {TRUNCATED_DN}
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: truncated
userPassword: {READER_PASSWORD}
"""


class SlapdError(RuntimeError):
    pass


def ensure_installed() -> None:
    """Installs slapd and ldap-utils with scripts/ensure-slapd when they are missing."""
    if SLAPD.exists() and shutil.which("slapadd"):
        return
    result = subprocess.run(
        [str(REPO / "scripts" / "ensure-slapd")], capture_output=True, text=True, check=False
    )
    if result.returncode != 0 or not SLAPD.exists():
        raise SlapdError(f"cannot install slapd: {result.stderr.strip() or result.stdout}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _has_root_entry(ldif: str) -> bool:
    return any(line.strip().lower() == f"dn: {SUFFIX}" for line in ldif.splitlines())


class PrivateSlapd:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.url = f"ldap://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def config(self) -> Path:
        return self.workdir / "slapd.conf"

    def _write_config(self) -> None:
        includes = [f"include /etc/ldap/schema/{name}.schema" for name in SYSTEM_SCHEMAS]
        includes.append(f"include {SCHEMA}")
        data = self.workdir / "data"
        data.mkdir(parents=True, exist_ok=True)
        self.config.write_text(
            "\n".join(
                [
                    *includes,
                    f"pidfile {self.workdir / 'slapd.pid'}",
                    "modulepath /usr/lib/ldap",
                    "moduleload back_mdb",
                    "database mdb",
                    "maxsize 1073741824",
                    f'suffix "{SUFFIX}"',
                    f'rootdn "{ADMIN_DN}"',
                    f"rootpw {ADMIN_PASSWORD}",
                    f"directory {data}",
                    "index objectClass eq",
                    "index uid eq",
                    # OpenLDAP stops any search at 500 entries by default, pages included.
                    "limits anonymous size=unlimited",
                    f'limits dn.exact="{READER_DN}" size.soft=5 size.hard=5 '
                    "size.pr=unlimited size.prtotal=unlimited",
                    f'limits dn.exact="{TRUNCATED_DN}" size.soft=5 size.hard=5 '
                    "size.pr=5 size.prtotal=7",
                    "",
                ]
            )
        )

    def _slapadd(self, ldif: Path) -> None:
        result = subprocess.run(
            ["slapadd", "-q", "-f", str(self.config), "-l", str(ldif)],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise SlapdError(f"slapadd {ldif} failed: {result.stderr.strip()}")

    def start(self, people: Sequence[Path] = ()) -> None:
        """Configures, loads the LDIF files (the first one may bring the root entry) and
        starts the server."""
        ensure_installed()
        self._write_config()
        loaded = [path.read_text(encoding="utf-8") for path in people]
        if not any(_has_root_entry(text) for text in loaded[:1]):
            root = self.workdir / "root.ldif"
            root.write_text(_ROOT_LDIF)
            self._slapadd(root)
        for path in people:
            self._slapadd(path)
        readers = self.workdir / "readers.ldif"
        readers.write_text(_READERS_LDIF)
        self._slapadd(readers)
        log = (self.workdir / "slapd.log").open("wb")
        self.process = subprocess.Popen(
            [str(SLAPD), "-f", str(self.config), "-h", f"{self.url}/", "-d", "0"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SlapdError(f"slapd stopped at start: {self.log_tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise SlapdError(f"slapd did not listen on {self.url}: {self.log_tail()}")

    def log_tail(self) -> str:
        path = self.workdir / "slapd.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def admin(self) -> Connection:
        connection = Connection(
            Server(self.url),
            ADMIN_DN,
            ADMIN_PASSWORD,
            auto_bind=True,
            raise_exceptions=True,
        )
        return connection

    def add(self, entries: Iterable[tuple[str, Mapping[str, object]]]) -> None:
        connection = self.admin()
        try:
            for dn, attributes in entries:
                classes = attributes.get("objectClass")
                rest = {k: v for k, v in attributes.items() if k != "objectClass"}
                connection.add(dn, classes, rest)
        finally:
            connection.unbind()

    def modify(self, dn: str, changes: Mapping[str, list[tuple[str, list[str]]]]) -> None:
        connection = self.admin()
        try:
            connection.modify(dn, dict(changes))
        finally:
            connection.unbind()

    def delete(self, dn: str) -> None:
        connection = self.admin()
        try:
            connection.delete(dn)
        finally:
            connection.unbind()
