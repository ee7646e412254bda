# xlrec - build, test, check, bench, fuzz, install.
#
#   make                 libxlrec.a and the xlrec binary (build/)
#   make test            build and run the cmocka suites
#   make check           the same suites under AddressSanitizer + UBSan (build/check/)
#   make bench           build and run the benchmarks in tests/bench/
#   make fuzz            build the libFuzzer targets in tests/fuzz/ with clang
#   make fuzz-smoke      run every fuzz target for FUZZ_SECONDS (default 30) each
#   make cross-test ARCH=aarch64|armhf|s390x   cross-build, run the suites under qemu-user
#   make valgrind        end-to-end CLI run (tokenize, embed, recommend, eval) under valgrind
#   make conversion-check  kernels and parsers compiled with -Wconversion -Werror
#   make float-exhaustive  the n-gram float formatter on all 2^32 float32 patterns (opt-in, minutes)
#   make layering-check  no include points to a higher layer (docs/tools/check_layering.sh; also in make test)
#   make MPI=1 BUILD=build/mpi mpi-test   data-parallel train-encoder over MPI == one process
#   make shared          build/pic/libxlrec.so (-fPIC objects in their own build dir)
#   make example         docs/examples/embed_cosine against an installed xlrec (pkg-config)
#   make demo            the main job on the built-in default data
#   make install PREFIX=/usr/local [DESTDIR=...]   binary, libraries, headers, models (share/xlrec)
#   make uninstall PREFIX=/usr/local [DESTDIR=...]
#   make install-check   install into a temporary prefix and run the installed xlrec from elsewhere
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
# The shipped models (weights/default/, weights/langid/) are installed here, and the binary looks
# for them here after $XLREC_DATA (src/core/xl_datapath.h).
DATADIR ?= $(PREFIX)/share/xlrec
FUZZ_SECONDS ?= 30
PIC     ?=
TEST_RUNNER ?=

# make MPI=1: data-parallel `xlrec train-encoder` over MPI (Debian: libopenmpi-dev openmpi-bin).
# The default build has no MPI anywhere; MPI=1 compiles with mpicc and -DXL_WITH_MPI (only
# src/cli/cmd_train_encoder.c uses it).  Use its own BUILD dir, e.g. make MPI=1 BUILD=build/mpi.
MPI     ?=
ifeq ($(MPI),1)
CC      := mpicc
CFLAGS  += -DXL_WITH_MPI
endif

WARN     := -Wall -Wextra -Wpedantic -Werror
XL_CFLAGS = -std=c11 $(WARN) $(OPT) -g $(SAN) $(PIC) -pthread $(CFLAGS)
XL_LDLIBS = -lm -pthread

LIB_DIRS_GLOB := src src/* tokenizer tokenizer/* nn nn/* weights weights/*
# The command implementations (src/cli/main.c, src/cli/cmd_*.c) make the
# binary; everything else, including the option parser, is the library.
CLI_SRCS := src/cli/main.c $(wildcard src/cli/cmd_*.c)
# (make patterns allow one '%' only, so tools/ folders are dropped with findstring)
drop_tools = $(foreach f,$(1),$(if $(findstring /tools/,$(f)),,$(f)))
LIB_SRCS := $(filter-out $(CLI_SRCS),$(call drop_tools,$(wildcard $(addsuffix /*.c,$(LIB_DIRS_GLOB)))))
LIB_HDRS := $(call drop_tools,$(wildcard $(addsuffix /*.h,$(LIB_DIRS_GLOB))))
# The installed headers are the library's API (docs/architecture.md, "The public headers"): every
# module's interface header and what those include.  Internal headers are not installed: the
# CLI's, the *_internal.h / *_impl.h ones, and each module's private helpers listed here.
INTERNAL_HDRS := $(wildcard src/cli/*.h) $(filter %_internal.h %_impl.h,$(LIB_HDRS)) \
                 nn/xl_backprop.h src/train/train_ckpt.h src/train/train_data.h \
                 tokenizer/xl_unicode_tables.h weights/xl_safetensors.h
PUBLIC_HDRS   := $(filter-out $(INTERNAL_HDRS),$(LIB_HDRS))
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
# A shared library is built and installed on ELF platforms (Linux, the BSDs).
SHARED_OK := $(filter %linux-gnu %linux-gnueabihf %linux-musl %bsd%,$(MACHINE))

# The data directories compiled into src/core/xl_datapath.c: the installed one and this checkout's
# weights/.  build/datapath.flags changes only when they do, so `make install PREFIX=/opt/x`
# recompiles that one file and relinks, and the installed binary finds its models.
DATAPATH_DEFS := -DXLREC_DATADIR='"$(DATADIR)"' -DXLREC_SOURCE_DIR='"$(CURDIR)"'
$(BUILD)/datapath.flags: FORCE
	@mkdir -p $(@D)
	@echo "$(DATADIR) $(CURDIR)" | cmp -s - $@ || echo "$(DATADIR) $(CURDIR)" > $@
$(BUILD)/obj/src/core/xl_datapath.o: $(BUILD)/datapath.flags
$(BUILD)/obj/src/core/xl_datapath.o: CPPFLAGS += $(DATAPATH_DEFS)
.PHONY: FORCE
FORCE:

.DEFAULT_GOAL := all

# keep objects of test/bench programs (make would delete them as intermediates)
.SECONDARY:

.PHONY: all test check bench fuzz fuzz-smoke demo install uninstall install-check clean lib cross-test valgrind conversion-check shared example \
        layering-check mpi-test float-exhaustive
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

# every benchmark links tests/bench/xl_bench.c (timing, load average, FMA peak, child processes)
BENCH_HELPER_OBJS := $(BUILD)/obj/tests/bench/xl_bench.o
$(BUILD)/bench/%: $(BUILD)/obj/tests/bench/%.o $(HELPER_OBJS) $(BENCH_HELPER_OBJS) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(XL_CFLAGS) -o $@ $< $(HELPER_OBJS) $(BENCH_HELPER_OBJS) $(LIB) -lcmocka $(XL_LDLIBS) $(LDFLAGS)

# The test runner runs every suite (tests read ../shared when present and
# skip those cases otherwise) and ends with "total: N passed, N failed".
# TEST_RUNNER prefixes every suite and the binary (cross-test: qemu-user).
test: $(TEST_BINS) $(BIN)
	XLREC_TEST_RUNNER="$(TEST_RUNNER)" XLREC_BIN="$(strip $(TEST_RUNNER) $(BIN))" sh tests/run_tests.sh $(TEST_BINS)

SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
check:
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	$(MAKE) BUILD=build/check OPT=-O1 SAN="$(SAN_FLAGS)" test

# Data-parallel training over MPI equals one process with the combined batch (make MPI=1 ...).
mpi-test: $(BIN)
	@[ "$(MPI)" = 1 ] || { echo "mpi-test needs make MPI=1 (e.g. make MPI=1 BUILD=build/mpi mpi-test)"; exit 2; }
	sh tests/mpi/train_mpi_check.sh $(BIN)

bench: $(BENCH_BINS) $(BIN)
	@for b in $(BENCH_BINS); do echo "== $$b"; XLREC_BIN=$(BIN) $$b || exit 1; done

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

# Each target runs FUZZ_SECONDS on its seeds (tests/fuzz/corpus/fuzz_<x>/, or
# corpus/<x>/) plus what earlier runs found (build/fuzz/corpus/); the log is
# kept in build/fuzz/<target>.log and a failure (crash, leak, sanitizer report,
# trap) stops with the log's end and the reproducer's name.
fuzz-smoke: fuzz
	@for f in $(FUZZ_SRCS:tests/fuzz/%.c=%); do \
	  seeds=tests/fuzz/corpus/$$f; [ -d $$seeds ] || seeds=tests/fuzz/corpus/$${f#fuzz_}; \
	  [ -d $$seeds ] || { echo "!! $$f has no seed corpus (tests/fuzz/corpus/$$f/)"; exit 1; }; \
	  mkdir -p $(FUZZ_BUILD)/corpus/$$f $(FUZZ_BUILD)/artifacts; \
	  echo "== fuzz $$f for $(FUZZ_SECONDS)s (seeds: $$seeds)"; \
	  if ./$(FUZZ_BUILD)/fuzz/$$f -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -print_final_stats=1 \
	      -artifact_prefix=$(FUZZ_BUILD)/artifacts/$$f- $(FUZZ_BUILD)/corpus/$$f $$seeds \
	      > $(FUZZ_BUILD)/$$f.log 2>&1; then \
	    grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss_mb)' $(FUZZ_BUILD)/$$f.log | tr '\n' ' '; echo; \
	  else \
	    tail -n 40 $(FUZZ_BUILD)/$$f.log; echo "!! $$f failed (log: $(FUZZ_BUILD)/$$f.log)"; exit 1; \
	  fi; \
	done

# The build is silent here (make -s: compiler lines only on a warning or an
# error), so the demo's own output starts at once.
demo:
	@$(MAKE) --no-print-directory -s $(BIN)
	@sh docs/demo/demo.sh $(BIN)

# Installation: binary, static library, shared library (where supported),
# public headers, pkg-config file, and the shipped models under $(DATADIR)
# ($(PREFIX)/share/xlrec/default/, langid/), where the installed binary finds
# them (src/core/xl_datapath.h).  DESTDIR stages the whole tree elsewhere
# (packaging); the binary still looks in $(DATADIR).
VERSION := $(shell sed -n 's/^\#define XLREC_VERSION "\(.*\)"/\1/p' src/core/xl_version.h)
# the shipped data files (the encoder once it is committed), relative to weights/
DATA_FILES := $(patsubst weights/%,%,$(wildcard weights/default/*.xlm weights/default/*.f16 \
                weights/default/README.md weights/langid/*.xlid))
DATA_DIRS  := $(sort $(patsubst %/,%,$(dir $(DATA_FILES))))
install: $(LIB) $(BIN) $(if $(SHARED_OK),shared)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include/xlrec
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/xlrec
	install -m 644 $(LIB) $(DESTDIR)$(PREFIX)/lib/libxlrec.a
ifneq ($(SHARED_OK),)
	install -m 755 $(PIC_BUILD)/$(SO_REAL) $(DESTDIR)$(PREFIX)/lib/$(SO_REAL)
	ln -sf $(SO_REAL) $(DESTDIR)$(PREFIX)/lib/$(SO_NAME)
	ln -sf $(SO_NAME) $(DESTDIR)$(PREFIX)/lib/libxlrec.so
endif
	install -m 644 $(PUBLIC_HDRS) $(DESTDIR)$(PREFIX)/include/xlrec/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' src/xlrec.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/xlrec.pc
	for d in $(DATA_DIRS); do install -d $(DESTDIR)$(DATADIR)/$$d || exit 1; done
	for f in $(DATA_FILES); do install -m 644 weights/$$f $(DESTDIR)$(DATADIR)/$$f || exit 1; done

# Removes what install put there (same PREFIX, DATADIR and DESTDIR), and the
# folders it made when they are left empty.  Every header name goes, the internal ones too
# (installs made before the public set was separated put them there).
uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/xlrec $(DESTDIR)$(PREFIX)/lib/libxlrec.a $(DESTDIR)$(PREFIX)/lib/libxlrec.so \
	      $(DESTDIR)$(PREFIX)/lib/libxlrec.so.* $(DESTDIR)$(PREFIX)/lib/pkgconfig/xlrec.pc
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/include/xlrec/,$(notdir $(LIB_HDRS)))
	rm -f $(addprefix $(DESTDIR)$(DATADIR)/,$(DATA_FILES))
	-rmdir $(addprefix $(DESTDIR)$(DATADIR)/,$(DATA_DIRS)) $(DESTDIR)$(DATADIR) \
	       $(DESTDIR)$(PREFIX)/include/xlrec 2>/dev/null

# make install into a temporary PREFIX and a DESTDIR, the installed xlrec run from
# another directory (langid, embed, run; $XLREC_DATA and option overrides), then
# make uninstall (tests/install_check.sh).  Relinks $(BIN) for that PREFIX and back.
install-check:
	sh tests/install_check.sh

# ---- Shared library ----------------------------------------------------------
# The same sources compiled again with -fPIC in their own build dir (build/pic),
# so libxlrec.a and the xlrec binary keep position-dependent code.
# soname libxlrec.so.MAJOR; libxlrec.so -> libxlrec.so.MAJOR -> libxlrec.so.X.Y.Z.
PIC_BUILD := build/pic
SO_NAME    = libxlrec.so.$(word 1,$(subst ., ,$(VERSION)))
SO_REAL    = libxlrec.so.$(VERSION)
shared:
	$(MAKE) BUILD=$(PIC_BUILD) PIC=-fPIC $(PIC_BUILD)/$(SO_REAL)
$(BUILD)/libxlrec.so.%: $(LIB_OBJS)
	$(CC) $(XL_CFLAGS) -shared -Wl,-soname,$(SO_NAME) -o $@ $(LIB_OBJS) $(XL_LDLIBS) $(LDFLAGS)
	ln -sf $(SO_REAL) $(BUILD)/$(SO_NAME)
	ln -sf $(SO_NAME) $(BUILD)/libxlrec.so

# ---- The library from outside: docs/examples/ --------------------------------
# Install into build/example-prefix, compile docs/examples/embed_cosine.c with
# nothing but pkg-config's flags (the shared library where there is one), convert
# the in-repo DistilBERT fixture (it has a vocabulary) with the installed xlrec,
# and embed an English and a German sentence with it.
EXAMPLE_PREFIX := $(CURDIR)/build/example-prefix
example:
	rm -rf $(EXAMPLE_PREFIX)
	$(MAKE) install PREFIX=$(EXAMPLE_PREFIX)
	PKG_CONFIG_PATH=$(EXAMPLE_PREFIX)/lib/pkgconfig; export PKG_CONFIG_PATH; \
	  $(CC) -std=c11 -Wall -Wextra -Wpedantic -Werror -O2 -o $(BUILD)/embed_cosine docs/examples/embed_cosine.c \
	    $$(pkg-config --cflags --libs $(if $(SHARED_OK),,--static) xlrec) -lm
	$(EXAMPLE_PREFIX)/bin/xlrec convert -q tests/fixtures/distilbert_tiny -o $(BUILD)/distilbert_tiny.xlm
	LD_LIBRARY_PATH=$(EXAMPLE_PREFIX)/lib $(BUILD)/embed_cosine $(BUILD)/distilbert_tiny.xlm \
	  "hello world, the movie" "hallo welt, der film"

# ---- Cross builds under emulation ---------------------------------------------
# make cross-test ARCH=aarch64|armhf|s390x: Debian's cross gcc builds the library,
# the binary and every suite into build/cross-ARCH, and each suite (and the
# binary that test_cli/test_ngram run) runs under qemu-user.  The target's
# libcmocka comes from Debian multiarch (libcmocka-dev:arm64 / :armhf / :s390x),
# which installs that architecture's libc6 too, so qemu finds the loader and
# libc at their usual paths and needs no -L: `qemu-aarch64 -L /usr/aarch64-linux-gnu`
# would pair the cross package's ld.so (libc6-arm64-cross) with the multiarch
# libc.so.6 found in /lib/<triple>, two builds whose private ABI differs, and
# the first thread creation hangs.  QEMU_FLAGS adds options (e.g. -cpu).
# aarch64 runs the NEON kernels, armhf has a 32-bit size_t, s390x is big-endian.
# Packages: .ci/run installs them.
ARCH ?= aarch64
QEMU_FLAGS ?=
CROSS_TRIPLE_aarch64 := aarch64-linux-gnu
CROSS_TRIPLE_armhf   := arm-linux-gnueabihf
CROSS_TRIPLE_s390x   := s390x-linux-gnu
QEMU_aarch64 := qemu-aarch64
QEMU_armhf   := qemu-arm
QEMU_s390x   := qemu-s390x
cross-test:
	@test -n "$(CROSS_TRIPLE_$(ARCH))" || { echo "ARCH must be aarch64, armhf or s390x, not '$(ARCH)'"; exit 2; }
	$(MAKE) CC=$(CROSS_TRIPLE_$(ARCH))-gcc AR=$(CROSS_TRIPLE_$(ARCH))-ar BUILD=build/cross-$(ARCH) \
	  TEST_RUNNER="$(strip $(QEMU_$(ARCH)) $(QEMU_FLAGS))" test

# ---- Valgrind ------------------------------------------------------------------
# tests/valgrind_e2e.sh runs tokenize, convert, embed, recommend and eval on the
# demo data and the in-repo fixture, every command under
# valgrind --error-exitcode=1 --leak-check=full (definite and indirect leaks fail).
valgrind: $(BIN)
	sh tests/valgrind_e2e.sh $(BIN)

# ---- The float formatter of the n-gram models on every float32 -----------------
# tests/tools/ngram_float_exhaustive.c checks xl_ngram_format_float on all 2^31
# non-negative patterns (each negative one through its twin) against strtof /
# snprintf: round trip, shortest, nearest, KenLM's layout.  Opt-in: about half
# an hour of one core.  FLOAT_RANGE="3f800000 3fffffff" checks a part.
FLOAT_RANGE ?=
float-exhaustive: $(BUILD)/tools/ngram_float_exhaustive
	$(BUILD)/tools/ngram_float_exhaustive $(FLOAT_RANGE)
$(BUILD)/tools/%: $(BUILD)/obj/tests/tools/%.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(XL_CFLAGS) -o $@ $< $(LIB) $(XL_LDLIBS) $(LDFLAGS)

# ---- -Wconversion in the kernels and parsers --------------------------------------
# Compiled (not linked) with -Wconversion on top of -Werror, in their own build
# dir per target (any CC: `make conversion-check CC=arm-linux-gnueabihf-gcc`
# checks the 32-bit size_t conversions, CC=aarch64-linux-gnu-gcc the NEON file).
CONVERSION_SRCS := src/core/xl_json.c src/core/xl_csv.c src/core/xl_npy.c src/core/xl_utf8.c \
                   $(wildcard nn/xl_kernels*.c) nn/xl_backprop.c nn/bert_train.c nn/bert_params.c \
                   weights/xl_model.c weights/xl_safetensors.c weights/xl_export.c \
                   src/w2v/w2v_vectors.c src/ngram/ngram_arpa.c src/ngram/ngram_float.c src/ngram/ngram_binary.c \
                   src/train/train_data.c src/train/train_ckpt.c src/train/train_loss.c src/train/train_optim.c \
                   src/train/train_augment.c
# the GloVe corpus, vocabulary and co-occurrence readers (docs/glove.md)
CONVERSION_SRCS += $(wildcard src/glove/*.c)
CONVERSION_BUILD := build/conversion/$(MACHINE)
conversion-check:
	$(MAKE) BUILD=$(CONVERSION_BUILD) CFLAGS="$(CFLAGS) -Wconversion" \
	  $(CONVERSION_SRCS:%.c=$(CONVERSION_BUILD)/obj/%.o)

# ---- Layers ---------------------------------------------------------------------
# Each folder has a layer (core < tokenizer, w2v, ... < embed < pipeline < cli); an
# include may only point to its own folder or a lower layer.
layering-check:
	sh docs/tools/check_layering.sh

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
