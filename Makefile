# Thin wrapper over CMake. `make` builds into build/, `make test` runs ctest.
BUILD ?= build
ASAN_BUILD ?= build-asan
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all build test asan fuzz bench install format format-check docs clean deps demo

all: build

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

build: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

asan:
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DGNV_SANITIZE=ON -DGNV_BUILD_BENCH=OFF $(CMAKE_FLAGS)
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ctest --output-on-failure -j $(JOBS)

fuzz:
	CC=clang cmake -S . -B build-fuzz -DGNV_BUILD_FUZZERS=ON -DGNV_BUILD_BENCH=OFF -DGNV_BUILD_TESTS=ON
	cmake --build build-fuzz -j $(JOBS)

bench: build
	./bench/run.sh $(BUILD)

install: build
	cmake --install $(BUILD) $(if $(PREFIX),--prefix $(PREFIX),)

deps:
	./scripts/deps.sh

demo: build
	./scripts/demo.sh $(BUILD)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check:
	clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')

docs:
	doxygen docs/Doxyfile

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-fuzz
