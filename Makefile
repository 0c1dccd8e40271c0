# sluice - one plain Makefile [redis]. Flavours build into their own directories so objects
# compiled with different flags never mix:
#   build/release  (-O2 -DNDEBUG)        make, make test, make e2e, make conformance, make bench,
#                                        make run
#   build/check    (ASan+UBSan, -O1 -g)  make check
#   build/tsan     (TSan)                make check SANITIZER=thread
#   build/fuzz     (clang libFuzzer)     make fuzz
# `make` leaves the server at build/sluice.

FLAVOR   ?= release
BUILD    := build/$(FLAVOR)
CC       ?= cc
PKGS     := libuv openssl sqlite3 libpq zlib libzstd liblz4 lzo2 snappy
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lhttp_parser -lbz2 -lpthread -lm

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

.PHONY: all deps test check unit e2e fuzz bench run clean format conformance
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

deps:
	@sh scripts/deps.sh

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

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

# `make test`: install what is missing, build, run every unit and end-to-end test.
test: deps
	@$(MAKE) --no-print-directory $(SUBJ) all unit FLAVOR=release
	@sh tests/run_all.sh build/release

# `make check`: the same suite under ASan+UBSan (and fault injection compiled in).
check: deps
	@$(MAKE) --no-print-directory $(SUBJ) $(if $(filter thread,$(SANITIZER)),FLAVOR=tsan,FLAVOR=check) all unit
	@sh tests/run_all.sh build/$(if $(filter thread,$(SANITIZER)),tsan,check)

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

fuzz: deps $(FUZZ_BIN)
	@sh tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_BIN)

BENCH_SRC := $(sort $(wildcard bench/*.c))
BENCH_BIN := $(BENCH_SRC:bench/%.c=build/release/bench/%)
build/release/bench/%: bench/%.c build/release/libsluice.a
	@mkdir -p $(dir $@)
	$(CC) $(BASE) -O2 -DNDEBUG -Wno-unused-result -Isrc -o $@ $< build/release/libsluice.a $(PKG_LIBS) -lcrypto

bench: deps
	@sh scripts/deps.sh --with-bench || echo "bench: reference servers not installable, their rows are skipped"
	@$(MAKE) --no-print-directory $(SUBJ) all FLAVOR=release
	@$(MAKE) --no-print-directory $(SUBJ) $(BENCH_BIN) FLAVOR=release
	@sh bench/run.sh

run: deps
	@$(MAKE) --no-print-directory $(SUBJ) all FLAVOR=release
	./build/release/sluice serve --data-dir ./data

# `make e2e`: only the end-to-end tests, against build/release (E2E=name picks files).
e2e: deps
	@$(MAKE) --no-print-directory $(SUBJ) all FLAVOR=release
	@SLUICE_BIN=$(CURDIR)/build/release/sluice python3 tests/e2e/run.py $(E2E)

# `make conformance`: Doris's own regression cases (../shared/conformance/doris/run.py) against
# a server started on free ports with a temporary data directory (docs/CONFORMANCE.md).
conformance: deps
	@$(MAKE) --no-print-directory $(SUBJ) all FLAVOR=release
	@sh tests/e2e/conformance.sh build/release

format:
	clang-format -i $(LIB_SRC) $(CLI_SRC) $(wildcard src/*/*.h src/*/*/*.h)

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(UNIT_BIN:=.d)
