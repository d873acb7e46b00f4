"""A real IMAP server for the tests: Debian's dovecot with a throwaway configuration.

Everything lives in one temporary folder (outside pytest's `tmp_path`, whose parents the
`dovecot` user may not enter): the configuration, the passwd-file of users, the
maildirs, the runtime folder (`base_dir`) and the log. The server listens on a free port of
127.0.0.1 without TLS (plain login allowed), is started with `dovecot -c FILE` and stopped by
the pid in `base_dir/master.pid`. Dovecot runs as root and switches to the `dovecot` user for
mail access, so `first_valid_uid = 1` (without it every SELECT fails) and the mail folder is
the `dovecot` user's.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {base}/run
state_dir = {base}/state
log_path = {base}/dovecot.log
info_log_path = {base}/dovecot.log
{ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
first_valid_uid = 1
mail_location = maildir:{base}/mail/%u
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Archive {{
    auto = create
  }}
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {base}/users
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={base}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
"""


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def dovecot_available() -> bool:
    """Whether dovecot is installed and this process may start it (it must run as root)."""
    return shutil.which("dovecot") is not None and os.geteuid() == 0


class Dovecot:
    """One running dovecot: `url(processed=...)` is a `PAYVAND_IMAP_URL` for its user."""

    user = "support@example.test"
    password = "secret"

    def __init__(self, base: Path, *, tls: bool = False, private_ca: bool = False) -> None:
        self.base = base
        self.private_ca = private_ca
        self.ca_certificate = base / "ca.pem"
        self.port = free_port()
        self.tls = tls
        self.imaps_port = free_port() if tls else 0
        self.config = base / "dovecot.conf"
        self.certificate = base / "cert.pem"

    def _ssl_settings(self) -> str:
        """`ssl = no`, or a self-signed certificate for 127.0.0.1 (STARTTLS on the IMAP port, and IMAPS)."""
        if not self.tls:
            return "ssl = no"
        key = self.base / "key.pem"
        if self.private_ca:
            self._ca_signed(key)
            return f"ssl = yes\nssl_cert = <{self.certificate}\nssl_key = <{key}"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                        "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key),
                        "-out", str(self.certificate)], check=True, capture_output=True, timeout=60)
        return f"ssl = yes\nssl_cert = <{self.certificate}\nssl_key = <{key}"

    def _ca_signed(self, key: Path) -> None:
        """A throwaway certificate authority (`ca.pem`) and a server certificate for 127.0.0.1 it signed."""
        ca_key, request, extensions = self.base / "ca-key.pem", self.base / "server.csr", self.base / "server.ext"

        def run(*args: str) -> None:
            subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60)

        run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=Payvand test CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            "-keyout", str(ca_key), "-out", str(self.ca_certificate))
        run("req", "-new", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", str(key),
            "-out", str(request))
        extensions.write_text("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                              "extendedKeyUsage=serverAuth\n", encoding="utf-8")
        run("x509", "-req", "-in", str(request), "-CA", str(self.ca_certificate), "-CAkey", str(ca_key),
            "-CAcreateserial", "-days", "1", "-extfile", str(extensions), "-out", str(self.certificate))

    def start(self) -> None:
        """Write the configuration and start the server; wait until it answers."""
        (self.base / "mail").mkdir(parents=True, exist_ok=True)
        for name in ("run", "state"):
            (self.base / name).mkdir(exist_ok=True)
        self.base.chmod(0o755)  # the dovecot user reads the users file and the maildirs below it
        users = self.base / "users"
        users.write_text(f"{self.user}:{{PLAIN}}{self.password}\n", encoding="utf-8")
        shutil.chown(users, "root", "dovecot")
        users.chmod(0o640)
        self.config.write_text(CONFIG.format(base=self.base, port=self.port, imaps_port=self.imaps_port,
                                             ssl=self._ssl_settings()), encoding="utf-8")
        shutil.chown(self.base / "mail", "dovecot", "dovecot")
        # dovecot forks into the background: its output must not be a pipe the daemon keeps open
        subprocess.run(["dovecot", "-c", str(self.config)], check=True, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as connection:
                    if connection.recv(100).startswith(b"* OK"):
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"dovecot did not start; log: {self.log()}")

    def stop(self) -> None:
        """Stop the server by the pid in its runtime folder and wait for it to go."""
        pid_file = self.base / "run" / "master.pid"
        if not pid_file.exists():
            return
        pid = int(pid_file.read_text().strip())
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)

    def empty(self) -> None:
        """Delete every folder but INBOX and every message in INBOX (a clean mailbox for the next test)."""
        from imap_tools import MailBoxUnencrypted

        with MailBoxUnencrypted("127.0.0.1", self.port).login(self.user, self.password, "INBOX") as box:
            for folder in box.folder.list():
                if folder.name not in ("INBOX", "Archive"):
                    box.folder.delete(folder.name)
            for name in ("INBOX", "Archive"):
                box.folder.set(name)
                uids = box.uids("ALL")
                if uids:
                    box.delete(uids)

    def log(self) -> str:
        """The server's log so far (for failure messages)."""
        path = self.base / "dovecot.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    def url(self, query: str = "") -> str:
        """A `PAYVAND_IMAP_URL` for the test user's INBOX (plain IMAP; `query` such as `processed=delete`)."""
        user = self.user.replace("@", "%40")
        return f"imap://{user}:{self.password}@127.0.0.1:{self.port}/INBOX" + (f"?{query}" if query else "")
