"""A real IMAP server for tests: Debian's dovecot-imapd, started on a free loopback port.

Its folder lives outside pytest's tmp_path (which only root can enter) because dovecot
serves mail as the unprivileged `dovecot` user, never as root.
"""

from __future__ import annotations

import imaplib
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import require
from tests.notifications.conftest import free_port

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER, PASSWORD = "disputes", "test-password"


@dataclass
class Imap:
    host: str
    port: int
    user: str
    password: str

    def client(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4(self.host, self.port)
        client.login(self.user, self.password)
        return client

    def deliver(self, raw: bytes, folder: str = "INBOX") -> None:
        client = self.client()
        try:
            status, _ = client.append(folder, "", imaplib.Time2Internaldate(time.time()), raw)
            assert status == "OK"
        finally:
            client.logout()


CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = {uid}
first_valid_gid = {gid}
mail_location = maildir:{root}/mail/%u
default_internal_user = dovecot
default_login_user = dovenull
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


@contextmanager
def dovecot_server() -> Iterator[Imap]:
    require(Path(DOVECOT).exists(), "dovecot is not installed (scripts/system-deps)")
    user = pwd.getpwnam("dovecot")
    root = Path(tempfile.mkdtemp(prefix="iro-imap-", dir="/tmp"))
    root.chmod(0o755)
    for sub in ("run", "state", "mail", "home"):
        (root / sub).mkdir()
    for sub in ("mail", "home"):
        shutil.chown(root / sub, user.pw_uid, user.pw_gid)
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
    port = free_port()
    conf = root / "dovecot.conf"
    conf.write_text(CONFIG.format(root=root, uid=user.pw_uid, gid=user.pw_gid, port=port))
    process = subprocess.Popen(
        [DOVECOT, "-c", str(conf), "-F"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        imap = Imap("127.0.0.1", port, USER, PASSWORD)
        _wait_until_ready(imap, process, root)
        yield imap
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()
        shutil.rmtree(root, ignore_errors=True)


def _wait_until_ready(imap: Imap, process: subprocess.Popen[bytes], root: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
            raise RuntimeError(f"dovecot exited with {process.returncode}: {log}")
        try:
            imap.client().logout()
            return
        except (OSError, imaplib.IMAP4.error):
            time.sleep(0.1)
    raise RuntimeError("dovecot did not start listening within 15 seconds")
