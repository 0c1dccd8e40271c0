# sluice - one plain Makefile [redis]. Flavours build into their own directories so objects
# compiled with different flags never mix:
#   build/release  (-O2 -DNDEBUG)        make, make test, make e2e, make conformance, make bench,
#                                        make run
#   build/check    (ASan+UBSan, -O1 -g)  make check
#   build/tsan     (TSan)                make check SANITIZER=thread
#   build/fuzz     (clang libFuzzer)     make fuzz, make fuzz-smoke (in make check)
# `make` leaves the server at build/sluice.

FLAVOR   ?= release
BUILD    := build/$(FLAVOR)
CC       ?= cc
PKGS     := libuv openssl sqlite3 libpq zlib libzstd liblz4 lzo2 snappy libbrotlidec
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lhttp_parser -lbz2 -lroaring -lpthread -lm

WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wpointer-arith -Wformat=2 -Wvla
BASE     := -std=c11 -fvisibility=hidden -Iinclude $(PKG_CFLAGS) -MMD -MP

ifeq ($(FLAVOR),release)
OPT      := -O2 -DNDEBUG -g
else ifeq ($(FLAVOR),check)
OPT      := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer \
            -DSL_FAULT_INJECTION
else ifeq ($(FLAVOR),tsan)
OPT      := -O1 -g -fsanitize=thread -fno-omit-frame-pointer
else ifeq ($(FLAVOR),fuzz)
CC       := clang
OPT      := -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
endif

CFLAGS_ALL := $(BASE) $(OPT) $(WARN) $(EXTRA_CFLAGS)
LDFLAGS_ALL := $(filter -fsanitize=%,$(OPT)) $(EXTRA_LDFLAGS)

LIB_SRC  := $(sort $(wildcard src/*/*.c src/*/*/*.c))
LIB_SRC  := $(filter-out src/cli/%,$(LIB_SRC))
CLI_SRC  := $(wildcard src/cli/*.c)
# The dashboard's page (src/proto/dashboard/) is compiled in: scripts/embed.sh turns the
# files into one generated C file of byte arrays.
DASH_SRC := $(sort $(wildcard src/proto/dashboard/*))
DASH_C   := $(BUILD)/gen/dashboard_assets.c
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o) $(DASH_C:.c=.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
LIB      := $(BUILD)/libsluice.a
BIN      := $(BUILD)/sluice

UNIT_SRC := $(sort $(wildcard tests/unit/*/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/bin/%)

.PHONY: all deps deps-test test check unit e2e fuzz fuzz-smoke bench run clean format conformance FORCE
.DEFAULT_GOAL := all

# The recursive builds of test/check/bench/run/e2e compile in parallel: with the caller's -jN
# (jobserver) when given one, otherwise with one job per CPU. `make -j2` works for `all`.
# $(MAKE) is written out in each recipe so make sees a recursive call and passes its jobserver.
JOBS     ?= $(shell nproc 2>/dev/null || echo 2)
SUBJ      = $(if $(filter -j%,$(MAKEFLAGS)),,-j$(JOBS))

all: $(BIN)
ifeq ($(FLAVOR),release)
	@ln -sf release/sluice build/sluice
endif

# Debian packages: `deps` what building and running need, `deps-test` adds the test tools
# (scripts/deps.sh says which is which).
deps:
	@sh scripts/deps.sh

deps-test:
	@sh scripts/deps.sh --with-test

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

# The version (VERSION) and commit (git describe) go into src/core/version.c through a header
# that scripts/version.sh regenerates on every make but rewrites only when its text changes.
GEN      := $(BUILD)/gen
$(GEN)/sl_version.h: FORCE
	@mkdir -p $(GEN)
	@sh scripts/version.sh --header >$@.$$$$ && \
	    if cmp -s $@.$$$$ $@; then rm -f $@.$$$$; else mv -f $@.$$$$ $@; fi
$(BUILD)/src/core/version.o: $(GEN)/sl_version.h
$(BUILD)/src/core/version.o: CFLAGS_ALL += -I$(GEN)
FORCE:

$(DASH_C): $(DASH_SRC) scripts/embed.sh
	@mkdir -p $(dir $@)
	sh scripts/embed.sh $@ $(DASH_SRC)

$(DASH_C:.c=.o): $(DASH_C)
	$(CC) $(CFLAGS_ALL) -Isrc -c $< -o $@

$(LIB): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BIN): $(CLI_OBJ) $(LIB)
	$(CC) $(LDFLAGS_ALL) -o $@ $(CLI_OBJ) $(LIB) $(PKG_LIBS)

# Unit tests: one Criterion binary per test file; a test may #include the .c it tests to reach
# its statics, so those objects are then not taken from the archive.
$(BUILD)/tests/%: tests/unit/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -Wmissing-prototypes,$(CFLAGS_ALL)) -Isrc -o $@ $< $(LIB) \
	    $(LDFLAGS_ALL) $(PKG_LIBS) -lcriterion

unit: $(UNIT_BIN)

# `make test`: install what is missing (build and test tools), build, run every unit and
# end-to-end test.
test: deps-test
	@$(MAKE) --no-print-directory $(SUBJ) all unit FLAVOR=release
	@sh tests/run_all.sh build/release

# `make check`: the same suite under ASan+UBSan (and fault injection compiled in).
check: deps-test
	@$(MAKE) --no-print-directory $(SUBJ) $(if $(filter thread,$(SANITIZER)),FLAVOR=tsan,FLAVOR=check) all unit
	@sh tests/run_all.sh build/$(if $(filter thread,$(SANITIZER)),tsan,check)
	@$(MAKE) --no-print-directory fuzz-smoke

# libFuzzer targets, each run FUZZ_SECONDS (60) on its seed corpus.
FUZZ_SECONDS ?= 60
ifneq ($(FLAVOR),fuzz)
.PHONY: fuzzlib
fuzzlib:
	@$(MAKE) --no-print-directory $(SUBJ) FLAVOR=fuzz build/fuzz/libsluice.a
build/fuzz/libsluice.a: fuzzlib ;
endif
build/fuzz/bin/%: tests/fuzz/%.c build/fuzz/libsluice.a
	@mkdir -p $(dir $@)
	clang $(BASE) -O1 -g -fsanitize=fuzzer,address,undefined -Isrc -o $@ $< build/fuzz/libsluice.a $(PKG_LIBS)

fuzz: deps-test $(FUZZ_BIN)
	@sh tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_BIN)

# `make fuzz-smoke` (part of `make check`): every target FUZZ_SMOKE_SECONDS (5) on its corpus.
# Not in `make test`: building the clang flavour alone takes minutes (docs/RELIABILITY.md).
FUZZ_SMOKE_SECONDS ?= 5
fuzz-smoke: deps-test $(FUZZ_BIN)
	@sh tests/fuzz/run.sh $(FUZZ_SMOKE_SECONDS) $(FUZZ_BIN)

BENCH_SRC := $(sort $(wildcard bench/*.c))
BENCH_BIN := $(BENCH_SRC:bench/%.c=build/release/bench/%)
build/release/bench/%: bench/%.c build/release/libsluice.a
	@mkdir -p $(dir $@)
	$(CC) $(BASE) -O2 -DNDEBUG -Wno-unused-result -Isrc -o $@ $< build/release/libsluice.a $(PKG_LIBS) -lcrypto

bench: deps
	@sh scripts/deps.sh --with-bench
	@sh scripts/deps.sh --with-clickhouse || echo "bench: ClickHouse not installable, its rows are skipped"
	@$(MAKE) --no-print-directory $(SUBJ) all FLAVOR=release
	@$(MAKE) --no-print-directory $(SUBJ) $(BENCH_BIN) FLAVOR=release
	@sh bench/run.sh

run: deps
	@$(MAKE) --no-print-directory $(SUBJ) all FLAVOR=release
	./build/release/sluice serve --data-dir ./data

# `make e2e`: only the end-to-end tests, against build/release (E2E=name picks files).
e2e: deps-test
	@$(MAKE) --no-print-directory $(SUBJ) all FLAVOR=release
	@SLUICE_BIN=$(CURDIR)/build/release/sluice python3 tests/e2e/run.py $(E2E)

# `make soak` (not in CI; docs/RELIABILITY.md): the crash campaign at scale, SOAK_KILLS kill -9
# on the embedded store, then as many on a PostgreSQL store; SOAK_SEED repeats a run.
SOAK_KILLS ?= 1000
.PHONY: soak
soak: deps-test
	@$(MAKE) --no-print-directory $(SUBJ) all FLAVOR=release
	cd tests/e2e && for store in sqlite postgres; do \
	    SLUICE_TEST_STORE=$$store SLUICE_CRASH_KILLS=$(SOAK_KILLS) SLUICE_CRASH_SEED=$(SOAK_SEED) \
	    SLUICE_BIN=$(CURDIR)/build/release/sluice python3 -m unittest test_crash_campaign || exit 1; \
	done

# `make conformance`: Doris's own regression cases (../shared/conformance/doris/run.py) against
# a server started on free ports with a temporary data directory (docs/CONFORMANCE.md).
# CONFORMANCE_STORE=postgres: against a PostgreSQL store (a throwaway PostgreSQL).
conformance: deps-test
	@$(MAKE) --no-print-directory $(SUBJ) all FLAVOR=release
	@sh tests/e2e/conformance.sh build/release

# ---- install, uninstall, release tarball, Debian package (docs/INSTALL.md) ------------------
# `make install` copies the binary, sluice(1) (made from the --help texts), the sample config
# and a config with data_dir = /var/lib/sluice (kept if one is there), the systemd unit, the bash
# completion and the docs. GNU-style directories; DESTDIR stages the tree (the .deb uses it).
PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/bin
MANDIR      ?= $(PREFIX)/share/man
DOCDIR      ?= $(PREFIX)/share/doc/sluice
SYSCONFDIR  ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
UNITDIR     ?= $(PREFIX)/lib/systemd/system
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
DOCS        ?= README.md CHANGELOG.md NOTICE LICENSE
STATEDIR    := /var/lib/sluice
MAN         := $(BUILD)/sluice.1
CONF        := $(BUILD)/sluice.conf
ETCDIR       = $(DESTDIR)$(SYSCONFDIR)/sluice

.PHONY: man install uninstall dist deb test-deb version
man: $(MAN)
$(MAN): $(BIN) scripts/gen-man.sh scripts/version.sh VERSION
	sh scripts/gen-man.sh $(BIN) >$@.$$$$ && mv -f $@.$$$$ $@

# The installed config: the sample with data_dir set (every other key stays at its default).
$(CONF): docs/sluice.conf.sample
	@mkdir -p $(dir $@)
	sed -e '1s/.*/# sluice.conf - settings of the sluice service (sluice.service, man sluice)./' \
	    -e 's|^# data_dir = .*|data_dir = $(STATEDIR)|' $< >$@.$$$$ && mv -f $@.$$$$ $@

install: $(BIN) $(MAN) $(CONF)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(ETCDIR) $(DESTDIR)$(UNITDIR) \
	    $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(DOCDIR)
	install -m 0755 $(BIN) $(DESTDIR)$(BINDIR)/sluice
	install -m 0644 $(MAN) $(DESTDIR)$(MANDIR)/man1/sluice.1
	install -m 0644 docs/sluice.conf.sample $(ETCDIR)/sluice.conf.sample
	@if [ -e $(ETCDIR)/sluice.conf ]; then echo "install: kept $(ETCDIR)/sluice.conf"; \
	else echo "install -m 0644 $(CONF) $(ETCDIR)/sluice.conf"; \
	    install -m 0644 $(CONF) $(ETCDIR)/sluice.conf; fi
	sed -e 's|/usr/bin/sluice|$(BINDIR)/sluice|g' -e 's|/etc/sluice/|$(SYSCONFDIR)/sluice/|g' \
	    contrib/sluice.service >$(DESTDIR)$(UNITDIR)/sluice.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/sluice.service
	install -m 0644 contrib/sluice.bash-completion $(DESTDIR)$(BASHCOMPDIR)/sluice
	$(if $(strip $(DOCS)),install -m 0644 $(DOCS) $(DESTDIR)$(DOCDIR)/)

# Removes what install put there; a sluice.conf that was edited since is kept (and said so).
uninstall: $(CONF)
	rm -f $(DESTDIR)$(BINDIR)/sluice $(DESTDIR)$(MANDIR)/man1/sluice.1 \
	    $(ETCDIR)/sluice.conf.sample $(DESTDIR)$(UNITDIR)/sluice.service \
	    $(DESTDIR)$(BASHCOMPDIR)/sluice $(addprefix $(DESTDIR)$(DOCDIR)/,$(notdir $(DOCS)))
	@if cmp -s $(CONF) $(ETCDIR)/sluice.conf; then echo "rm -f $(ETCDIR)/sluice.conf"; \
	    rm -f $(ETCDIR)/sluice.conf; \
	elif [ -e $(ETCDIR)/sluice.conf ]; then echo "uninstall: kept edited $(ETCDIR)/sluice.conf"; fi
	-@rmdir $(ETCDIR) $(DESTDIR)$(DOCDIR) 2>/dev/null || true

# `make version`: the version and commit the next build compiles in.
version:
	@sh scripts/version.sh

# `make dist`: build/sluice-VERSION.tar.gz, the tree with its commit recorded in VERSION.
dist:
	@sh scripts/dist.sh build

# `make deb`: build/deb/sluice_VERSION_ARCH.deb with dpkg-buildpackage (installs debhelper &
# co. first). `make test-deb` builds it, installs it on this machine (root), runs the unit's
# command line, loads a file, purges it and checks that nothing is left (tests/package/).
deb:
	@sh scripts/deps.sh --with-deb
	@sh scripts/build-deb.sh build/deb

test-deb: deb
	@sh scripts/deps.sh --with-test
	python3 tests/package/test_deb.py build/deb

format:
	clang-format -i $(LIB_SRC) $(CLI_SRC) $(wildcard src/*/*.h src/*/*/*.h)

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(UNIT_BIN:=.d)
