"""Shipping (issue 22): version and commit, the files that must agree at a release, SPDX lines,
the man page and bash completion made from --help, the systemd unit, `make install` into a
DESTDIR file by file and `make uninstall`, the release tarball, the Debian packaging metadata.

The .deb itself is built, installed and purged by `make test-deb` (tests/package/test_deb.py).
"""
import os
import re
import shlex
import shutil
import stat
import subprocess
import tempfile
import unittest

from harness import BIN, ROOT, Server, store_args


def clean_env(**extra):
    """The environment without the calling make's flags (make test runs these tests)."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    env.update(extra)
    return env


def sh(*args, ok=True, **kw):
    p = subprocess.run(list(args), capture_output=True, text=True, timeout=300, **kw)
    if ok and p.returncode != 0:
        raise AssertionError("%s -> %d\n%s%s" % (" ".join(args), p.returncode, p.stdout,
                                                   p.stderr[-3000:]))
    return p


def read(*path):
    with open(os.path.join(ROOT, *path)) as f:
        return f.read()


def commands(binary=BIN):
    """The commands `sluice --help` lists."""
    return re.findall(r"(?m)^  ([a-z][a-z0-9-]*)  ", sh(binary, "--help").stdout)


def setting_keys():
    return re.findall(r"(?m)^  ([a-z_0-9]+) = .*\(SLUICE_[A-Z0-9_]+\)$",
                      sh(BIN, "serve", "--help").stdout)


def fake_binary(tmp):
    """A sluice whose --help lists one more command, `export`, as a future change adds one."""
    path = os.path.join(tmp, "sluice")
    with open(path, "w") as f:
        f.write("""#!/bin/sh
if [ "$1" = export ]; then
    printf 'usage: sluice export --db DB --table T [--where W]\\n'
    printf 'Writes a table out.\\n'
    exit 0
fi
if [ "$1" = --help ]; then
    %s --help
    printf '  export    write a table out (sluice export --help)\\n'
    exit 0
fi
exec %s "$@"
""" % (shlex.quote(BIN), shlex.quote(BIN)))
    os.chmod(path, 0o755)
    return path


class VersionTest(unittest.TestCase):
    def test_version_and_commit(self):
        version = read("VERSION").split("\n")[0]
        self.assertRegex(version, r"^\d+\.\d+\.\d+$")  # semantic versioning
        out = sh(BIN, "version").stdout
        m = re.fullmatch(r"sluice (\S+) \(commit (\S+)\)\n", out)
        self.assertIsNotNone(m, out)
        self.assertEqual(m.group(1), version)
        if shutil.which("git") and os.path.exists(os.path.join(ROOT, ".git")):
            head = sh("git", "-C", ROOT, "rev-parse", "--short=7", "HEAD").stdout.strip()
            # describe: "420a456", "v0.2.0-3-g420a456", maybe "-dirty"; HEAD's hash is in it
            # unless HEAD carries the tag itself ("v0.2.0")
            self.assertTrue(head in m.group(2) or re.match(r"^v\d", m.group(2)), m.group(2))
        self.assertEqual(sh(BIN, "--version").stdout, out)
        self.assertIn("usage: sluice version", sh(BIN, "version", "--help").stdout)
        self.assertEqual(sh(BIN, "version", "extra", ok=False).returncode, 2)

    def test_release_files_agree(self):
        version = read("VERSION").split("\n")[0]
        top = re.search(r"(?m)^## \[(\d+\.\d+\.\d+)\] - \d{4}-\d{2}-\d{2}$", read("CHANGELOG.md"))
        self.assertIsNotNone(top, "CHANGELOG.md has no release heading")
        self.assertEqual(top.group(1), version)
        self.assertIn("## [Unreleased]", read("CHANGELOG.md"))  # Keep a Changelog
        deb = re.match(r"sluice \(([^)]+)\)", read("debian", "changelog"))
        self.assertEqual(deb.group(1), version)

    def test_tarball_keeps_the_commit(self):
        tmp = tempfile.mkdtemp(prefix="sluice-e2e-dist-")
        try:
            tree = sh("sh", os.path.join(ROOT, "scripts", "dist.sh"), tmp).stdout.strip()
            here = sh("sh", os.path.join(ROOT, "scripts", "version.sh")).stdout
            # inside build/ of a checkout, the tree's own VERSION wins over the outer git
            there = sh("sh", os.path.join(tree, "scripts", "version.sh")).stdout
            self.assertEqual(there, here)
            self.assertTrue(os.path.isfile(tree + ".tar.gz"))
            for f in ("LICENSE", "NOTICE", "CHANGELOG.md", "debian/rules", "Makefile"):
                self.assertTrue(os.path.isfile(os.path.join(tree, f)), f)
            self.assertFalse(os.path.exists(os.path.join(tree, "build")))
            with open(os.path.join(tree, "VERSION"), "w") as f:
                f.write("9.8.7\n")
            self.assertEqual(sh("sh", os.path.join(tree, "scripts", "version.sh")).stdout,
                             "9.8.7 unknown\n")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


class SpdxTest(unittest.TestCase):
    def test_every_c_file_has_the_spdx_line(self):
        p = sh("sh", os.path.join(ROOT, "scripts", "spdx.sh"), "--check", ok=False)
        self.assertEqual(p.returncode, 0, "files without the SPDX line (run scripts/spdx.sh):\n"
                         + p.stdout)

    def test_spdx_script_adds_once_and_check_sees_it(self):
        tmp = tempfile.mkdtemp(prefix="sluice-e2e-spdx-")
        try:
            cases = {
                "a.c": "/*\n * a.c - a file.\n */\n#include <stdio.h>\n",
                "b.h": "/* Tests of b: one line. */\nint b;\n",
                "c.c": "/* Tests of c, two lines\n * of header. */\nint c;\n",
                "d.c": "#include <stdio.h>\n/* not a header */\n",
                "e.c": "/*\n * e.c\n *\n * SPDX-License-Identifier: Apache-2.0\n */\nint e;\n",
            }
            for name, text in cases.items():
                with open(os.path.join(tmp, name), "w") as f:
                    f.write(text)
            script = os.path.join(ROOT, "scripts", "spdx.sh")
            p = sh("sh", script, "--check", tmp, ok=False)
            self.assertEqual(p.returncode, 1)
            self.assertEqual(sorted(os.path.basename(x) for x in p.stdout.split()),
                             ["a.c", "b.h", "c.c", "d.c"])
            sh("sh", script, tmp)
            after = {n: read(tmp, n) for n in cases}
            self.assertEqual(after["a.c"], "/*\n * a.c - a file.\n *\n"
                             " * SPDX-License-Identifier: Apache-2.0\n */\n#include <stdio.h>\n")
            self.assertEqual(after["b.h"], "/* Tests of b: one line.\n *\n"
                             " * SPDX-License-Identifier: Apache-2.0\n */\nint b;\n")
            self.assertEqual(after["c.c"], "/* Tests of c, two lines\n * of header.\n *\n"
                             " * SPDX-License-Identifier: Apache-2.0\n */\nint c;\n")
            self.assertEqual(after["d.c"], "/* SPDX-License-Identifier: Apache-2.0 */\n"
                             + cases["d.c"])
            self.assertEqual(after["e.c"], cases["e.c"])
            sh("sh", script, "--check", tmp)
            sh("sh", script, tmp)  # twice: nothing changes
            self.assertEqual({n: read(tmp, n) for n in cases}, after)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


class ManPageTest(unittest.TestCase):
    def man(self, binary=BIN):
        return sh("sh", os.path.join(ROOT, "scripts", "gen-man.sh"), binary).stdout

    def test_every_command_and_setting_is_in_the_man_page(self):
        page = self.man()
        cmds = commands()
        self.assertGreaterEqual(set(cmds), {"serve", "sql", "user", "version"})
        for c in cmds:
            self.assertIn('.SS "sluice %s"' % c, page)
            self.assertRegex(page, r"(?m)^sluice %s\b" % c)  # in SYNOPSIS
        keys = setting_keys()
        self.assertIn("data_dir", keys)
        for k in keys:
            self.assertRegex(page, r"(?m)^\.B %s\n.*SLUICE_%s" % (k, k.upper()))
        self.assertRegex(page, r'\.TH SLUICE 1 "[^"]*" "sluice %s"'
                         % re.escape(read("VERSION").split("\n")[0]))

    def test_a_new_command_gets_its_section(self):
        tmp = tempfile.mkdtemp(prefix="sluice-e2e-man-")
        try:
            page = self.man(fake_binary(tmp))
            self.assertIn('.SS "sluice export"', page)
            self.assertIn("sluice export \\-\\-db DB \\-\\-table T [\\-\\-where W]", page)
            self.assertIn("Writes a table out.", page)
            # and `load`, added since, has its section from the real binary
            self.assertIn('.SS "sluice load"', page)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    @unittest.skipUnless(shutil.which("groff"), "groff not installed")
    def test_man_page_renders_without_warnings(self):
        p = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z"], input=self.man(),
                           capture_output=True, text=True, timeout=60)
        self.assertEqual((p.returncode, p.stderr), (0, ""))


class CompletionTest(unittest.TestCase):
    def complete(self, *words, binary=BIN):
        script = ("source %s\nCOMP_WORDS=(%s)\nCOMP_CWORD=%d\n_sluice\n"
                  "printf '%%s\\n' \"${COMPREPLY[@]}\"\n"
                  % (shlex.quote(os.path.join(ROOT, "contrib", "sluice.bash-completion")),
                     " ".join(shlex.quote(w) for w in (binary,) + words), len(words)))
        return sorted(sh("bash", "-c", script).stdout.split())

    @unittest.skipUnless(shutil.which("bash"), "bash not installed")
    def test_commands_flags_and_setting_keys(self):
        self.assertEqual(self.complete(""), sorted(commands()))
        self.assertEqual(self.complete("se"), ["serve"])
        flags = self.complete("serve", "--")
        for f in ("--config", "--data-dir", "--bind", "--fe-port", "--be-port", "--tsload-port",
                  "--set"):
            self.assertIn(f, flags)
        self.assertEqual(self.complete("serve", "--set", ""), sorted(k + "=" for k in setting_keys()))
        self.assertEqual(self.complete("serve", "--set", "tsload_p"),
                         ["tsload_plain_http=", "tsload_port="])
        self.assertEqual(self.complete("user", ""),
                         ["add", "alter", "grant", "passwd", "revoke", "unlock"])
        self.assertIn("--db", self.complete("sql", "--"))

    @unittest.skipUnless(shutil.which("bash"), "bash not installed")
    def test_a_new_command_completes(self):
        tmp = tempfile.mkdtemp(prefix="sluice-e2e-comp-")
        try:
            self.assertEqual(self.complete("ex", binary=fake_binary(tmp)), ["export"])
            self.assertIn("--where", self.complete("export", "--", binary=fake_binary(tmp)))
            # and `load`, added since, completes from the real binary
            self.assertEqual(self.complete("lo"), ["load"])
            self.assertIn("--label", self.complete("load", "--"))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


class UnitFileTest(unittest.TestCase):
    def test_unit_runs_the_packaged_command_as_sluice(self):
        unit = read("contrib", "sluice.service")
        self.assertRegex(unit, r"(?m)^ExecStart=/usr/bin/sluice serve --config "
                               r"/etc/sluice/sluice.conf$")
        self.assertRegex(unit, r"(?m)^User=sluice$")
        self.assertRegex(unit, r"(?m)^StateDirectory=sluice$")
        # the stop timeout covers the default shutdown grace (shutdown_grace_second)
        grace = int(re.search(r"(?m)^  shutdown_grace_second = (\d+)",
                              sh(BIN, "serve", "--help").stdout).group(1))
        self.assertGreater(int(re.search(r"(?m)^TimeoutStopSec=(\d+)$", unit).group(1)), grace)

    @unittest.skipUnless(shutil.which("systemd-analyze"), "systemd-analyze not installed")
    def test_systemd_accepts_every_line(self):
        tmp = tempfile.mkdtemp(prefix="sluice-e2e-unit-")
        try:
            path = os.path.join(tmp, "sluice.service")
            with open(path, "w") as f:  # the command must exist for verify
                f.write(read("contrib", "sluice.service").replace("/usr/bin/sluice", BIN))
            p = sh("systemd-analyze", "verify", "--man=no", path, ok=False)
            self.assertEqual((p.returncode, p.stderr.strip()), (0, ""))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


class InstallTest(unittest.TestCase):
    """`make install DESTDIR=...` file by file, then `make uninstall`."""

    def setUp(self):
        build = os.path.dirname(BIN)
        if shutil.which("make") is None or os.path.dirname(build) != os.path.join(ROOT, "build"):
            self.skipTest("make not installed, or SLUICE_BIN is not a build/<flavor>/sluice")
        self.flavor = os.path.basename(build)
        self.dest = tempfile.mkdtemp(prefix="sluice-e2e-install-")
        self.addCleanup(shutil.rmtree, self.dest, True)

    def make(self, target, **vars_):
        args = ["make", "--no-print-directory", "-C", ROOT, target, "DESTDIR=" + self.dest,
                "FLAVOR=" + self.flavor] + ["%s=%s" % kv for kv in vars_.items()]
        return sh(*args, env=clean_env())

    def tree(self):
        files, dirs = {}, []
        for dirpath, dnames, fnames in os.walk(self.dest):
            dirs += [os.path.relpath(os.path.join(dirpath, d), self.dest) for d in dnames]
            for n in fnames:
                p = os.path.join(dirpath, n)
                files[os.path.relpath(p, self.dest)] = stat.S_IMODE(os.lstat(p).st_mode)
        return files, dirs

    def test_install_file_by_file_then_uninstall_leaves_nothing(self):
        self.make("install", PREFIX="/usr/local")
        files, _ = self.tree()
        u = "usr/local/"
        self.assertEqual(files, {
            u + "bin/sluice": 0o755,
            u + "share/man/man1/sluice.1": 0o644,
            u + "etc/sluice/sluice.conf": 0o644,
            u + "etc/sluice/sluice.conf.sample": 0o644,
            u + "lib/systemd/system/sluice.service": 0o644,
            u + "share/bash-completion/completions/sluice": 0o644,
            u + "share/doc/sluice/README.md": 0o644,
            u + "share/doc/sluice/CHANGELOG.md": 0o644,
            u + "share/doc/sluice/NOTICE": 0o644,
            u + "share/doc/sluice/LICENSE": 0o644,
        })
        d = lambda p: os.path.join(self.dest, u + p)  # noqa: E731
        self.assertEqual(sh("cmp", BIN, d("bin/sluice")).returncode, 0)
        self.assertEqual(sh(d("bin/sluice"), "version").stdout, sh(BIN, "version").stdout)
        with open(d("share/man/man1/sluice.1")) as f:
            self.assertIn('.SS "sluice serve"', f.read())
        for doc, src in (("etc/sluice/sluice.conf.sample", "docs/sluice.conf.sample"),
                         ("share/bash-completion/completions/sluice",
                          "contrib/sluice.bash-completion"),
                         ("share/doc/sluice/LICENSE", "LICENSE")):
            with open(d(doc)) as f:
                self.assertEqual(f.read(), read(src), doc)
        with open(d("etc/sluice/sluice.conf")) as f:
            conf = f.read()
        self.assertRegex(conf, r"(?m)^data_dir = /var/lib/sluice$")
        self.assertEqual(re.findall(r"(?m)^[a-z_]+ =", conf), ["data_dir ="])  # the rest default
        with open(d("lib/systemd/system/sluice.service")) as f:
            unit = f.read()
        self.assertRegex(unit, r"(?m)^ExecStart=/usr/local/bin/sluice serve --config "
                               r"/usr/local/etc/sluice/sluice.conf$")
        self.assertNotIn("/usr/bin/sluice", unit)

        # the installed config starts a server (ports and data dir from flags, loopback)
        data = tempfile.mkdtemp(prefix="sluice-e2e-data-")
        self.addCleanup(shutil.rmtree, data, True)
        p = subprocess.Popen([d("bin/sluice"), "serve", "--config", d("etc/sluice/sluice.conf"),
                              "--data-dir", data, "--fe-port", "0", "--be-port", "0",
                              "--tsload-port", "-1", "--mysql-port", "-1"],
                             stdout=subprocess.PIPE, text=True)
        try:
            self.assertRegex(p.stdout.readline(), r"listening fe_port=\d+")
        finally:
            p.terminate()
            p.wait(timeout=30)
            p.stdout.close()

        self.make("uninstall", PREFIX="/usr/local")
        files, dirs = self.tree()
        self.assertEqual(files, {})
        self.assertEqual([x for x in dirs if "sluice" in x], [])

    def test_an_edited_config_is_kept(self):
        self.make("install", PREFIX="/opt/s")
        conf = os.path.join(self.dest, "opt/s/etc/sluice/sluice.conf")
        with open(conf, "a") as f:
            f.write("fe_port = 9030\n")
        out = self.make("install", PREFIX="/opt/s").stdout  # again: the edit stays
        self.assertIn("kept", out)
        with open(conf) as f:
            self.assertIn("fe_port = 9030", f.read())
        out = self.make("uninstall", PREFIX="/opt/s").stdout
        self.assertIn("kept edited", out)
        files, _ = self.tree()
        self.assertEqual(list(files), ["opt/s/etc/sluice/sluice.conf"])

    def test_package_layout(self):
        """PREFIX=/usr puts the config in /etc (the layout debian/rules installs)."""
        self.make("install", PREFIX="/usr", UNITDIR="/lib/systemd/system", DOCS="NOTICE")
        files, _ = self.tree()
        self.assertIn("etc/sluice/sluice.conf", files)
        self.assertIn("lib/systemd/system/sluice.service", files)
        self.assertIn("usr/share/doc/sluice/NOTICE", files)
        self.assertNotIn("usr/share/doc/sluice/LICENSE", files)
        with open(os.path.join(self.dest, "lib/systemd/system/sluice.service")) as f:
            self.assertEqual(f.read(), read("contrib", "sluice.service"))


class ContainerEntrypointTest(unittest.TestCase):
    """contrib/docker-entrypoint.sh (the image's ENTRYPOINT), run here without a container."""

    def start(self, data, **env):
        entry = os.path.join(ROOT, "contrib", "docker-entrypoint.sh")
        e = clean_env(PATH=os.path.dirname(BIN) + os.pathsep + os.environ["PATH"],
                      SLUICE_DATA_DIR=data, **env)
        p = subprocess.Popen([entry, "sluice", "serve", "--bind", "127.0.0.1", "--fe-port", "0",
                              "--be-port", "0", "--tsload-port", "-1", "--mysql-port", "-1"], env=e,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = p.stdout.readline()
        srv = Server.__new__(Server)  # the harness's HTTP helpers on this process's ports
        srv.proc, srv.own_dir, srv.data_dir = p, False, data
        m = re.search(r"fe_port=(\d+) be_port=(\d+)", line)
        self.assertIsNotNone(m, line + (p.stderr.read() if p.poll() is not None else ""))
        srv.fe, srv.be = int(m.group(1)), int(m.group(2))
        self.addCleanup(srv.stop)
        return srv

    def test_first_start_sets_a_random_root_password_once(self):
        data = tempfile.mkdtemp(prefix="sluice-e2e-entry-")
        self.addCleanup(shutil.rmtree, data, True)
        srv = self.start(data)
        pwfile = os.path.join(data, "root-password")
        self.assertEqual(stat.S_IMODE(os.stat(pwfile).st_mode), 0o600)
        with open(pwfile) as f:
            pw = f.read().strip()
        self.assertRegex(pw, r"^[A-Za-z0-9_-]{24}$")
        self.assertNotEqual(srv.sql("show databases", pw="", ok=False).get("code"), 0)
        srv.sql("CREATE DATABASE e", pw=pw)
        srv.stop()
        os.unlink(pwfile)  # a second start on the same data keeps the password it has
        srv = self.start(data)
        self.assertFalse(os.path.exists(pwfile))
        self.assertIn(["e"], srv.sql("show databases", pw=pw)["data"]["data"])

    def test_password_from_the_environment(self):
        data = tempfile.mkdtemp(prefix="sluice-e2e-entry-")
        self.addCleanup(shutil.rmtree, data, True)
        srv = self.start(data, SLUICE_ROOT_PASSWORD="from-env")
        self.assertFalse(os.path.exists(os.path.join(data, "root-password")))
        srv.sql("show databases", pw="from-env")
        self.assertNotEqual(srv.sql("show databases", pw="", ok=False).get("code"), 0)


class PasswordOnStdinTest(unittest.TestCase):
    """`sluice user passwd NAME -`: what the postinst and the entrypoint use."""

    def test_password_from_stdin_and_too_long(self):
        data = tempfile.mkdtemp(prefix="sluice-e2e-pw-")
        self.addCleanup(shutil.rmtree, data, True)
        p = sh(BIN, "user", "passwd", "root", "-", "--data-dir", data, *store_args(data), ok=False,
               input="x" * 2000 + "\n")
        self.assertEqual(p.returncode, 1)
        self.assertIn("password on standard input longer than", p.stderr)
        sh(BIN, "user", "passwd", "root", "-", "--data-dir", data, *store_args(data),
           input="on stdin\r\n")
        srv = Server(data_dir=data)
        self.addCleanup(srv.close)
        srv.sql("show databases", pw="on stdin")  # the line end is not part of it
        self.assertNotEqual(srv.sql("show databases", pw="", ok=False).get("code"), 0)
        self.assertNotEqual(srv.sql("show databases", pw="-", ok=False).get("code"), 0)


class DebianMetadataTest(unittest.TestCase):
    def test_build_depends_are_the_build_list_of_deps_sh(self):
        control = read("debian", "control")
        bd = re.search(r"(?ms)^Build-Depends:(.*?)^\S", control).group(1)
        names = {re.sub(r"\s*\(.*\)", "", x).strip() for x in bd.split(",") if x.strip()}
        names.discard("debhelper-compat")
        build = set(sh("sh", os.path.join(ROOT, "scripts", "deps.sh"), "--print").stdout.split())
        build -= {"build-essential", "tzdata", "curl"}  # implicit, and run-time only
        self.assertEqual(names, build)
        test_tools = set(sh("sh", os.path.join(ROOT, "scripts", "deps.sh"), "--with-test",
                            "--print").stdout.split()) - set(sh(
                                "sh", os.path.join(ROOT, "scripts", "deps.sh"),
                                "--print").stdout.split())
        self.assertTrue({"libcriterion-dev", "clang", "python3-protobuf"} <= test_tools)
        self.assertFalse(names & test_tools)
        depends = re.search(r"(?m)^Depends: (.*)$", control).group(1)
        self.assertIn("${shlibs:Depends}", depends)
        for tool in test_tools:
            self.assertNotIn(tool, depends)

    def test_one_build_recipe_for_the_package_and_the_container(self):
        # debian/rules builds with scripts/build-release.sh; the Dockerfile builds that package
        self.assertRegex(read("debian", "rules"), r"(?m)^\tsh scripts/build-release.sh$")
        self.assertRegex(read("Dockerfile"), r"(?m)^RUN (?:.*\\\n)*.*sh scripts/build-deb\.sh")
        self.assertRegex(read("debian", "rules"),
                         r"(?m)^\tdh_installsystemd --no-enable --no-start$")
        self.assertIn("debhelper-compat (= 13)", read("debian", "control"))


if __name__ == "__main__":
    unittest.main()
