# kcn: smart-city planning tools.  Plain make; libraries via pkg-config.
#
#   make            build lib/libkcn.a and tools/kcn-*
#   make check      install missing Debian packages, build, run every test
#   make demo       install missing packages, build, run the demo pipeline
#   make bench      install missing packages, build, run the benchmarks
#   make install    PREFIX=/usr/local DESTDIR=
#   make O=dir ...  build somewhere else (CI builds the sanitizer run so)

O       ?= .
PREFIX  ?= /usr/local
MANDIR  ?= $(PREFIX)/share/man
PKGS     = gdal proj geos json-c cairo libpng sqlite3 zlib
TOOLS    = kcn-info kcn-ingest kcn-reproject kcn-buffer kcn-dissolve kcn-overlay kcn-coverage kcn-tile

CFLAGS  ?= -O2 -g
WARN     = -Wall -Wextra -Wshadow -Wno-unused-parameter $(WERROR)
# Deferred (=), so a make that first installs the packages can use them.
KCN_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -D_LARGEFILE64_SOURCE \
	-DGEOS_USE_ONLY_R_API $(WARN) -Ilib/include -Ilib \
	$(shell pkg-config --cflags $(PKGS))
KCN_LIBS   = $(shell pkg-config --libs $(PKGS)) -lpthread -lm
CHECK_CFLAGS = $(shell pkg-config --cflags check)
CHECK_LIBS   = $(shell pkg-config --libs check)

LIB_SRC  = $(wildcard lib/*.c)
LIB_OBJ  = $(LIB_SRC:%.c=$(O)/%.o)
LIB_A    = $(O)/lib/libkcn.a
LIB_HDR  = lib/include/kcn.h lib/kcn_internal.h
TOOL_BIN = $(TOOLS:%=$(O)/tools/%)
UNIT_SRC = $(wildcard tests/unit/*.c)
UNIT_BIN = $(O)/tests/unit/check_kcn
NUMDIFF  = $(O)/tests/numdiff
BENCHGEOM = $(O)/tests/bench_geom
BENCHPROJ = $(O)/tests/bench_proj
GENCITY  = $(O)/scripts/kcn-gencity
MANPAGES = $(wildcard docs/*.1) $(wildcard docs/*.7)

.PHONY: all build deps web check check-run check-unit check-cli check-man \
	check-preview demo demo-run bench bench-run install clean sample-data

all: build

build: $(LIB_A) $(TOOL_BIN) $(GENCITY)

deps:
	@sh scripts/install-deps.sh

# The preview page of kcn-tile: its libraries from npm, into web/dist/.
web:
	@sh scripts/install-web.sh

$(O)/lib/%.o: lib/%.c $(LIB_HDR)
	@mkdir -p $(@D)
	$(CC) $(KCN_CFLAGS) $(CFLAGS) -c -o $@ $<

# Where kcn-tile --preview finds the page's files: the build's, then the
# installed ones.
$(O)/lib/preview.o: KCN_CFLAGS += -DKCN_WEBDIR='"$(abspath web/dist)"' \
	-DKCN_WEBDIR_INSTALLED='"$(PREFIX)/share/kcn/web"'

$(LIB_A): $(LIB_OBJ)
	rm -f $@
	$(AR) rcs $@ $(LIB_OBJ)

$(O)/tools/cli.o: tools/cli.c tools/cli.h $(LIB_HDR)
	@mkdir -p $(@D)
	$(CC) $(KCN_CFLAGS) $(CFLAGS) -c -o $@ $<

$(O)/tools/kcn-%: tools/kcn-%.c $(O)/tools/cli.o $(LIB_A) tools/cli.h
	@mkdir -p $(@D)
	$(CC) $(KCN_CFLAGS) $(CFLAGS) -o $@ $< $(O)/tools/cli.o $(LIB_A) \
		$(LDFLAGS) $(KCN_LIBS)

$(GENCITY): scripts/gencity.c
	@mkdir -p $(@D)
	$(CC) $(KCN_CFLAGS) $(CFLAGS) -o $@ $< $(LDFLAGS) $(KCN_LIBS)

$(UNIT_BIN): $(UNIT_SRC) tests/unit/check_kcn.h $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(KCN_CFLAGS) $(CHECK_CFLAGS) $(CFLAGS) -o $@ $(UNIT_SRC) \
		$(LIB_A) $(LDFLAGS) $(KCN_LIBS) $(CHECK_LIBS)

$(O)/tests/bench_%: tests/bench_%.c $(LIB_A) $(LIB_HDR)
	@mkdir -p $(@D)
	$(CC) $(KCN_CFLAGS) $(CFLAGS) -o $@ $< $(LIB_A) $(LDFLAGS) $(KCN_LIBS)

$(NUMDIFF): tests/numdiff.c
	@mkdir -p $(@D)
	$(CC) $(KCN_CFLAGS) $(CFLAGS) -o $@ $< $(LDFLAGS) -lm

# The public targets install what is missing first, then run in a fresh
# make that sees the installed packages.
check: deps
	@$(MAKE) --no-print-directory check-run

check-run: build web $(UNIT_BIN) $(NUMDIFF)
	@$(MAKE) --no-print-directory check-unit check-man check-cli \
		check-preview

check-unit: $(UNIT_BIN)
	cd tests/unit && $(abspath $(UNIT_BIN))

check-man:
	mandoc -T lint -W warning $(MANPAGES)
	sh scripts/check-usage.sh $(O)/tools
	bash scripts/run-man-examples.sh $(O)/tools

check-cli: $(TOOL_BIN) $(NUMDIFF) $(GENCITY)
	TOOLDIR=$(abspath $(O)/tools) NUMDIFF=$(abspath $(NUMDIFF)) \
	GENCITY=$(abspath $(GENCITY)) sh tests/cli/run.sh

# The preview page in headless Chromium.
check-preview: $(TOOL_BIN) web
	TOOLDIR=$(abspath $(O)/tools) KCN_WEBDIR=$(abspath web/dist) \
	sh tests/preview/run.sh

demo: deps
	@$(MAKE) --no-print-directory demo-run

demo-run: build web
	TOOLDIR=$(abspath $(O)/tools) sh scripts/demo.sh

bench:
	@sh scripts/install-deps.sh bench
	@$(MAKE) --no-print-directory bench-run

bench-run: build $(BENCHGEOM) $(BENCHPROJ)
	TOOLDIR=$(abspath $(O)/tools) GENCITY=$(abspath $(GENCITY)) \
	BENCHGEOM=$(abspath $(BENCHGEOM)) BENCHPROJ=$(abspath $(BENCHPROJ)) \
	sh scripts/bench.sh

sample-data: $(GENCITY)
	$(GENCITY) sample sample-data

install: build
	mkdir -p $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(MANDIR)/man7
	for t in $(TOOL_BIN); do \
		install -m 755 $$t $(DESTDIR)$(PREFIX)/bin/ || exit 1; done
	install -m 644 $(wildcard docs/*.1) $(DESTDIR)$(MANDIR)/man1/
	install -m 644 $(wildcard docs/*.7) $(DESTDIR)$(MANDIR)/man7/
	if [ -f web/dist/index.html ]; then \
		mkdir -p $(DESTDIR)$(PREFIX)/share/kcn/web && \
		install -m 644 web/dist/* $(DESTDIR)$(PREFIX)/share/kcn/web/; fi

clean:
	rm -f $(LIB_OBJ) $(LIB_A) $(O)/tools/*.o $(TOOL_BIN) $(UNIT_BIN) \
		$(NUMDIFF) $(GENCITY) $(BENCHGEOM) $(BENCHPROJ)
	rm -rf out build-asan
