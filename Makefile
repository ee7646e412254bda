# xlrec - build, test, check, bench, fuzz, install.
#
#   make                 libxlrec.a and the xlrec binary (build/)
#   make test            build and run the cmocka suites
#   make check           the same suites under AddressSanitizer + UBSan (build/check/)
#   make bench           build and run the benchmarks in tests/bench/
#   make fuzz            build the libFuzzer targets in tests/fuzz/ with clang
#   make fuzz-smoke      run every fuzz target for FUZZ_SECONDS (default 30) each
#   make demo            the main job on the built-in default data
#   make install PREFIX=/usr/local [DESTDIR=...]
#   make clean
#
# Any C11 compiler: `make CC=clang`.  Sources are found by wildcard, so a new
# module only has to put its .c/.h files in src/<module>/, tokenizer/, nn/ or
# weights/ (files under a tools/ folder are programs, not library code).
# Header dependencies are tracked with -MMD.

CC      ?= cc
AR      ?= ar
BUILD   ?= build
OPT     ?= -O2
SAN     ?=
PREFIX  ?= /usr/local
DESTDIR ?=
FUZZ_SECONDS ?= 30

WARN     := -Wall -Wextra -Wpedantic -Werror
XL_CFLAGS = -std=c11 $(WARN) $(OPT) -g $(SAN) -pthread $(CFLAGS)
XL_LDLIBS = -lm -pthread

LIB_DIRS_GLOB := src src/* tokenizer tokenizer/* nn nn/* weights weights/*
# The command implementations (src/cli/main.c, src/cli/cmd_*.c) make the
# binary; everything else, including the option parser, is the library.
CLI_SRCS := src/cli/main.c $(wildcard src/cli/cmd_*.c)
LIB_SRCS := $(filter-out $(CLI_SRCS) %/tools/%,$(wildcard $(addsuffix /*.c,$(LIB_DIRS_GLOB))))
LIB_HDRS := $(filter-out %/tools/%,$(wildcard $(addsuffix /*.h,$(LIB_DIRS_GLOB))))
INC_DIRS := $(sort $(patsubst %/,%,$(dir $(LIB_HDRS)))) tests/helpers
CPPFLAGS += $(addprefix -I,$(INC_DIRS))

TEST_SRCS   := $(wildcard tests/test_*.c)
HELPER_SRCS := $(wildcard tests/helpers/*.c)
BENCH_SRCS  := $(wildcard tests/bench/bench_*.c)
FUZZ_SRCS   := $(wildcard tests/fuzz/fuzz_*.c)

LIB_OBJS    := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
CLI_OBJS    := $(CLI_SRCS:%.c=$(BUILD)/obj/%.o)
HELPER_OBJS := $(HELPER_SRCS:%.c=$(BUILD)/obj/%.o)
TEST_BINS   := $(TEST_SRCS:tests/%.c=$(BUILD)/tests/%)
BENCH_BINS  := $(BENCH_SRCS:tests/bench/%.c=$(BUILD)/bench/%)

LIB := $(BUILD)/libxlrec.a
BIN := $(BUILD)/xlrec

# SIMD kernels live in files named *_avx2.c / *_avx512.c and are compiled with
# the matching -m flags on x86-64 only; the CPU is checked at run time before
# they are called, so one binary runs on any x86-64.  Elsewhere the files
# compile to nothing (their bodies are guarded by __AVX2__ / __AVX512F__).
MACHINE := $(shell $(CC) -dumpmachine 2>/dev/null)
ifneq ($(filter x86_64%,$(MACHINE)),)
AVX2_FLAGS   := -mavx2 -mfma -mf16c
AVX512_FLAGS := -mavx512f -mavx512bw -mavx512dq -mavx512vl -mavx2 -mfma -mf16c
endif

# keep objects of test/bench programs (make would delete them as intermediates)
.SECONDARY:

.PHONY: all test check bench fuzz fuzz-smoke demo install clean lib
all: $(LIB) $(BIN)
lib: $(LIB)

$(BUILD)/obj/%_avx2.o: %_avx2.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(XL_CFLAGS) $(AVX2_FLAGS) -MMD -MP -c $< -o $@

$(BUILD)/obj/%_avx512.o: %_avx512.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(XL_CFLAGS) $(AVX512_FLAGS) -MMD -MP -c $< -o $@

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(XL_CFLAGS) -MMD -MP -c $< -o $@

$(LIB): $(LIB_OBJS) Makefile
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $(LIB_OBJS)

$(BIN): $(CLI_OBJS) $(LIB)
	$(CC) $(XL_CFLAGS) -o $@ $(CLI_OBJS) $(LIB) $(XL_LDLIBS) $(LDFLAGS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $(HELPER_OBJS) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(XL_CFLAGS) -o $@ $< $(HELPER_OBJS) $(LIB) -lcmocka $(XL_LDLIBS) $(LDFLAGS)

$(BUILD)/bench/%: $(BUILD)/obj/tests/bench/%.o $(HELPER_OBJS) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(XL_CFLAGS) -o $@ $< $(HELPER_OBJS) $(LIB) -lcmocka $(XL_LDLIBS) $(LDFLAGS)

# The test runner runs every suite (tests read ../shared when present and
# skip those cases otherwise) and ends with "total: N passed, N failed".
test: $(TEST_BINS) $(BIN)
	XLREC_BIN=$(BIN) sh tests/run_tests.sh $(TEST_BINS)

SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
check:
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	$(MAKE) BUILD=build/check OPT=-O1 SAN="$(SAN_FLAGS)" test

bench: $(BENCH_BINS) $(BIN)
	@for b in $(BENCH_BINS); do echo "== $$b"; XLREC_BIN=$(BIN) ./$$b || exit 1; done

# Fuzz targets: library compiled with coverage instrumentation by clang.
FUZZ_BUILD := build/fuzz
fuzz:
	$(MAKE) CC=clang BUILD=$(FUZZ_BUILD) OPT=-O1 \
	  SAN="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined" lib fuzz-bins

FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/fuzz/%)
fuzz-bins: $(FUZZ_BINS)
$(BUILD)/fuzz/%: tests/fuzz/%.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -std=c11 -O1 -g -fsanitize=fuzzer,address,undefined -o $@ $< $(LIB) $(XL_LDLIBS)

fuzz-smoke: fuzz
	@for f in $(FUZZ_SRCS:tests/fuzz/%.c=%); do \
	  mkdir -p $(FUZZ_BUILD)/corpus/$$f; \
	  echo "== fuzz $$f for $(FUZZ_SECONDS)s"; \
	  ./$(FUZZ_BUILD)/fuzz/$$f -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -print_final_stats=1 \
	    $(FUZZ_BUILD)/corpus/$$f tests/fuzz/corpus/$$f 2>&1 | tail -n 12 || exit 1; \
	done

demo: $(BIN)
	sh docs/demo/demo.sh $(BIN)

# Installation: binary, static library, public headers, pkg-config file.
VERSION := $(shell sed -n 's/^\#define XLREC_VERSION "\(.*\)"/\1/p' src/core/xl_version.h)
install: $(LIB) $(BIN)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include/xlrec
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/xlrec
	install -m 644 $(LIB) $(DESTDIR)$(PREFIX)/lib/libxlrec.a
	install -m 644 $(LIB_HDRS) $(DESTDIR)$(PREFIX)/include/xlrec/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' src/xlrec.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/xlrec.pc

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
