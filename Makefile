# Thin wrapper: the work is done by meson/ninja and scripts/.
# `make run` starts the demo, `make test` builds and runs every test.

BUILD      ?= build
BUILD_ASAN ?= build-asan

.PHONY: all deps hugepages build build-asan test run stop clean

all: build

deps:
	scripts/deps.sh

hugepages:
	scripts/hugepages.sh

build: deps
	scripts/build.sh $(BUILD)

# Sanitizer build, used for the unit tests only.
build-asan: deps
	scripts/build.sh $(BUILD_ASAN) -Db_sanitize=address,undefined -Db_lundef=false

test: deps hugepages build build-asan
	BUILD=$(BUILD) BUILD_ASAN=$(BUILD_ASAN) scripts/run-tests.sh

run: deps hugepages build
	BUILD=$(BUILD) scripts/demo.sh

stop:
	BUILD=$(BUILD) scripts/demo.sh stop

clean:
	rm -rf $(BUILD) $(BUILD_ASAN)
