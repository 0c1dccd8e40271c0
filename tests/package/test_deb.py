#!/usr/bin/env python3
"""The Debian package, end to end, on this machine (`make test-deb`; needs root).

Installs build/deb/sluice_VERSION_ARCH.deb with dpkg, checks what the maintainer scripts did
(system user, data directory, generated root password, config, unit not enabled), starts the
unit's ExecStart command line by hand as the unit would (user sluice, UMask, cwd /; there is
no systemd to start it), loads a file with curl through the Doris front door on loopback,
removes and reinstalls the package (data and password kept), then purges it and checks that
nothing is left: package files, user, group, /var/lib/sluice, /etc/sluice.

Not part of `make test`: it installs a package and a system user on the machine, which two
test runs at once (or a sluice already installed) would fight over. It refuses to start when
sluice is already installed, and purges what it installed even when a check fails.

usage: python3 tests/package/test_deb.py [DEB_DIR]   (default build/deb)
"""
import glob
import grp
import os
import pwd
import re
import shlex
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "../.."))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
import harness  # noqa: E402  (Server: the real binary over real HTTP)

DEB_DIR = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build/deb"))
PWFILE = "/etc/sluice/root-password"
CONF = "/etc/sluice/sluice.conf"
STATE = "/var/lib/sluice"
UNIT = "/lib/systemd/system/sluice.service"
# What the package must never depend on: compilers, test and build tools.
NOT_RUNTIME = ("clang", "gcc", "criterion", "python", "protobuf", "debhelper", "dpkg-dev",
               "-dev", "build-essential", "curl", "sqlite3 ", "zstd ", "lz4 ", "lzop", "make")


def run(*args, check=True, **kw):
    p = subprocess.run(list(args), capture_output=True, text=True, timeout=300, **kw)
    if check and p.returncode != 0:
        raise AssertionError("%s -> %d\n%s%s" % (" ".join(args), p.returncode, p.stdout,
                                                   p.stderr))
    return p


def installed():
    p = run("dpkg-query", "-W", "-f=${Status}", "sluice", check=False)
    return p.returncode == 0 and "installed" in p.stdout and "not-installed" not in p.stdout


def user_exists(name):
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def group_exists(name):
    try:
        grp.getgrnam(name)
        return True
    except KeyError:
        return False


class UnitServer(harness.Server):
    """The unit's ExecStart, run as the unit runs it, on free loopback ports."""

    def __init__(self, argv):
        self.argv = argv
        super().__init__(data_dir=STATE)

    def start(self):
        args = self.argv + ["--bind", "127.0.0.1", "--fe-port", "0", "--be-port", "0",
                            "--tsload-port", "0"]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, cwd="/", user="sluice", group="sluice",
                                     extra_groups=[], umask=0o027)
        line = self.proc.stdout.readline()
        m = re.search(r"fe_port=(\d+) be_port=(\d+)", line)
        if not m:
            self.proc.wait(timeout=10)
            raise AssertionError("server did not start: %r %s" % (line, self.proc.stderr.read()))
        self.fe, self.be = int(m.group(1)), int(m.group(2))
        self.ts = int(re.search(r"tsload_port=(-?\d+)", line).group(1))


class DebTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise unittest.SkipTest("needs root: dpkg -i on this machine")
        debs = glob.glob(os.path.join(DEB_DIR, "sluice_*.deb"))
        if len(debs) != 1:
            raise AssertionError("expected one sluice_*.deb in %s (make deb), got %s"
                                 % (DEB_DIR, debs))
        cls.deb = debs[0]
        for what, there in (("package sluice", installed()), ("user sluice", user_exists("sluice")),
                            (STATE, os.path.exists(STATE)), ("/etc/sluice",
                                                             os.path.exists("/etc/sluice"))):
            if there:
                raise AssertionError("%s is already on this machine: purge it first "
                                     "(dpkg --purge sluice); this test will not touch it" % what)

    def tearDown(self):
        if installed() or os.path.exists("/etc/sluice"):  # a failed check: leave no trace
            run("dpkg", "--purge", "sluice", check=False)

    def control(self, field):
        return run("dpkg-deb", "-f", self.deb, field).stdout.strip()

    def check_installed(self, out):
        self.assertIn(PWFILE, out)  # postinst says where the password is
        u = pwd.getpwnam("sluice")
        self.assertLess(u.pw_uid, 1000)  # a system user
        self.assertEqual(u.pw_dir, STATE)
        self.assertIn(u.pw_shell, ("/usr/sbin/nologin", "/sbin/nologin", "/bin/false"))
        st = os.stat(STATE)
        self.assertEqual((st.st_uid, stat.S_IMODE(st.st_mode)), (u.pw_uid, 0o750))
        st = os.stat(PWFILE)
        self.assertEqual((st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)), (0, 0, 0o600))
        with open(PWFILE) as f:
            pw = f.read().strip()
        self.assertRegex(pw, r"^[A-Za-z0-9_-]{24}$")
        with open(CONF) as f:
            conf = f.read()
        self.assertRegex(conf, r"(?m)^data_dir = /var/lib/sluice$")
        self.assertNotRegex(conf, r"(?m)^bind")  # loopback, the default, until the admin says
        conffiles = run("dpkg-query", "-W", "-f=${Conffiles}", "sluice").stdout
        self.assertIn(CONF, conffiles)
        # the unit is installed, neither enabled nor started (no systemd here to start it)
        self.assertTrue(os.path.isfile(UNIT))
        self.assertEqual(glob.glob("/etc/systemd/system/*.wants/sluice.service"), [])
        for f in ("/usr/bin/sluice", "/usr/share/man/man1/sluice.1.gz",
                  "/usr/share/bash-completion/completions/sluice",
                  "/usr/share/doc/sluice/copyright", "/usr/share/doc/sluice/NOTICE",
                  "/usr/share/doc/sluice/changelog.gz", CONF + ".sample"):
            self.assertTrue(os.path.isfile(f), f)
        return pw

    def exec_start(self):
        with open(UNIT) as f:
            unit = f.read()
        self.assertRegex(unit, r"(?m)^User=sluice$")
        m = re.search(r"(?m)^ExecStart=(.*)$", unit)
        argv = shlex.split(m.group(1))
        self.assertEqual(argv[:2], ["/usr/bin/sluice", "serve"])
        return argv

    def load_and_query(self, srv, pw, label, data):
        """curl -T a file through the front door (307 to the load port), as a user does."""
        with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
            f.write(data)
        try:
            p = run("curl", "-sS", "--location-trusted", "-u", "root:" + pw, "-H",
                    "label:" + label, "-H", "column_separator:,", "-T", f.name, "-XPUT",
                    "http://127.0.0.1:%d/api/pkg/t/_stream_load" % srv.fe)
        finally:
            os.unlink(f.name)
        self.assertRegex(p.stdout, r'"Status": "Success"', p.stdout)
        return srv.sql("select count(*), sum(id) from t", db="pkg", pw=pw)["data"]["data"]

    def test_install_run_load_remove_reinstall_purge(self):
        # Depends: runtime libraries (packages holding a shared library), adduser, tzdata
        for dep in re.split(r",\s*", self.control("Depends")):
            self.assertFalse(any(bad in dep + " " for bad in NOT_RUNTIME), dep)
            name = dep.split()[0]
            if name not in ("adduser", "tzdata"):
                self.assertRegex(run("dpkg", "-L", name).stdout, r"/lib/\S+\.so(\.\d+)+\n", dep)

        out = run("dpkg", "-i", self.deb).stdout
        pw = self.check_installed(out)
        files = [f for f in run("dpkg", "-L", "sluice").stdout.split("\n")
                 if f and not os.path.isdir(f)]
        self.assertIn("/usr/bin/sluice", files)
        self.assertRegex(run("/usr/bin/sluice", "version").stdout,
                         r"^sluice \d+\.\d+\.\d+ \(commit \S+\)\n$")

        argv = self.exec_start()
        srv = UnitServer(argv)
        try:
            # the empty password of a fresh store was replaced by the generated one
            self.assertNotEqual(srv.sql("show databases", pw="", ok=False).get("code"), 0)
            srv.sql("CREATE DATABASE pkg", pw=pw)
            srv.sql("CREATE TABLE pkg.t (id INT NOT NULL, name VARCHAR(16)) DUPLICATE KEY(id) "
                    "DISTRIBUTED BY HASH(id) BUCKETS 1", pw=pw)
            rows = self.load_and_query(srv, pw, "pkg-1", "1,a\n2,b\n3,c\n")
            self.assertEqual(rows, [[3, 6]])
        finally:
            srv.close()
        self.assertEqual(srv.proc.returncode, 0)  # SIGTERM: a clean, graceful stop
        uid = pwd.getpwnam("sluice").pw_uid
        for dirpath, dirs, names in os.walk(STATE):  # everything the server wrote is its own
            for n in dirs + names:
                self.assertEqual(os.lstat(os.path.join(dirpath, n)).st_uid, uid, n)

        # remove keeps data, user and password; installing again keeps them as they are
        run("dpkg", "-r", "sluice")
        self.assertFalse(os.path.exists("/usr/bin/sluice"))
        self.assertTrue(user_exists("sluice") and os.path.isfile(PWFILE) and
                        os.listdir(STATE))
        out = run("dpkg", "-i", self.deb).stdout
        self.assertNotIn(PWFILE, out)  # no new password
        with open(PWFILE) as f:
            self.assertEqual(f.read().strip(), pw)
        srv = UnitServer(self.exec_start())
        try:
            rows = self.load_and_query(srv, pw, "pkg-2", "4,d\n")
            self.assertEqual(rows, [[4, 10]])
        finally:
            srv.close()

        # purge: nothing left
        run("dpkg", "--purge", "sluice")
        self.assertFalse(installed())
        self.assertFalse(user_exists("sluice"))
        self.assertFalse(group_exists("sluice"))
        for path in [STATE, "/etc/sluice", PWFILE] + files:
            self.assertFalse(os.path.lexists(path), path)
        self.assertEqual(glob.glob("/var/lib/systemd/deb-systemd-helper-enabled/**/sluice*",
                                   recursive=True), [])


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
