# One Makefile for every binary, its tests and the study.
#
#   make                 build ./blobs-server ./blobs-bench ./supervisor
#   make test            unit and integration tests, plain and sanitized
#   make bench           speed against nginx and wrk (not a test)
#   make test-matrix     the multiprocessing study into results/
#   make plot            figures from the newest results file into plots/

CC      ?= cc
CFLAGS  ?= -O2 -g
WARN     = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes
CPPFLAGS = -std=gnu11 -D_GNU_SOURCE -Iinclude
SANFLAGS = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
           -fno-sanitize-recover=undefined

LIB_SRC  = $(wildcard src/common/*.c src/http/*.c src/store/*.c)
BINS     = $(foreach b,server bench supervisor,\
             $(if $(wildcard src/$(b)/*.c),$(if $(filter server bench,$(b)),blobs-$(b),$(b))))
LDLIBS   = -lm
UNIT_SRC = $(wildcard tests/unit/test_*.c)

# Object trees: build/plain for the binaries users run, build/san for the
# sanitizer build that the tests also run.
obj = $(patsubst src/%.c,build/$(1)/%.o,$(2))

all: $(BINS)

define binary
$(1): $(call obj,plain,$(wildcard src/$(2)/*.c)) build/plain/libblobs.a
	$$(CC) $$(CFLAGS) -o $$@ $$^ $$(LDLIBS)
build/san/bin/$(1): $(call obj,san,$(wildcard src/$(2)/*.c)) build/san/libblobs.a
	@mkdir -p $$(@D)
	$$(CC) $$(SANFLAGS) -o $$@ $$^ $$(LDLIBS)
endef
$(eval $(call binary,blobs-server,server))
$(eval $(call binary,blobs-bench,bench))
$(eval $(call binary,supervisor,supervisor))

build/plain/libblobs.a: $(call obj,plain,$(LIB_SRC))
	$(AR) rcs $@ $^
build/san/libblobs.a: $(call obj,san,$(LIB_SRC))
	$(AR) rcs $@ $^

build/plain/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -MMD -MP -c -o $@ $<
build/san/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(SANFLAGS) $(WARN) -MMD -MP -c -o $@ $<

# Unit tests link the module under test from the libraries, plain and
# sanitized: the shared library and, for each binary, its objects but
# main.o, so a binary's own modules (the bench's options, say) can be
# tested too.
BIN_DIRS = $(foreach b,server bench supervisor,$(if $(wildcard src/$(b)/*.c),$(b)))
bin_lib_src = $(filter-out src/$(1)/main.c,$(wildcard src/$(1)/*.c))
TEST_LIBS = $(foreach b,$(BIN_DIRS),$(if $(call bin_lib_src,$(b)),lib$(b).a)) \
            libblobs.a

define bin_library
build/plain/lib$(1).a: $(call obj,plain,$(call bin_lib_src,$(1)))
	$$(AR) rcs $$@ $$^
build/san/lib$(1).a: $(call obj,san,$(call bin_lib_src,$(1)))
	$$(AR) rcs $$@ $$^
endef
$(foreach b,$(BIN_DIRS),$(eval $(call bin_library,$(b))))

build/plain/tests/%: tests/unit/%.c $(addprefix build/plain/,$(TEST_LIBS))
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -MMD -MP -o $@ $(filter %.c %.a,$^) \
	    -lcmocka $(LDLIBS)
build/san/tests/%: tests/unit/%.c $(addprefix build/san/,$(TEST_LIBS))
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(SANFLAGS) $(WARN) -MMD -MP -o $@ $(filter %.c %.a,$^) \
	    -lcmocka $(LDLIBS)

UNIT_BINS = $(foreach v,plain san,\
              $(patsubst tests/unit/%.c,build/$(v)/tests/%,$(UNIT_SRC)))
SAN_BINS  = $(addprefix build/san/bin/,$(BINS))

# On a fresh machine as root, `make test` first installs what it needs.
test:
	@tools/install-deps.sh test
	@$(MAKE) --no-print-directory test-build
	@tests/run-tests.sh

test-build: all $(UNIT_BINS) $(SAN_BINS)

test-unit: $(UNIT_BINS)
	@tests/run-tests.sh unit

test-integration: all $(SAN_BINS)
	@tests/run-tests.sh integration

# The study: builds, installs what it lacks, runs the matrix into results/
# and draws plots/. Narrow it with PROCS= FRONTS= ACTIONS= SCENARIOS=
# REPEAT= (see tools/test-matrix.sh).
test-matrix:
	tools/test-matrix.sh

# Speed against references measured in the same run (not a test).
bench: all
	@tools/install-deps.sh bench
	tools/bench/bench.sh

# The parser's fuzz targets (clang libFuzzer), for FUZZ_SECONDS in all;
# make test runs a short smoke of them.
FUZZ_SECONDS ?= 60
fuzz:
	tests/fuzz/run.sh $(FUZZ_SECONDS)

# Figures from the newest results file, or RESULTS=path.
plot:
	/usr/bin/python3 tools/plot.py $(RESULTS)

clean:
	rm -rf build $(BINS)

.PHONY: all bench fuzz test test-build test-unit test-integration test-matrix plot clean
.SECONDARY:

-include $(shell find build -name '*.d' 2>/dev/null)
