# One front door: make run | test | bench | fuzz | format | tidy | build | clean
.PHONY: all deps deps-test build release debug web run test unit e2e bench fuzz format tidy clean

ARGS ?=
JOBS ?= $(shell nproc)
CMAKE_COMMON = -G Ninja -DCMAKE_EXPORT_COMPILE_COMMANDS=ON

all: build

deps:
	@scripts/install-deps.sh build

deps-test:
	@scripts/install-deps.sh test

build/release/build.ninja:
	cmake -S . -B build/release $(CMAKE_COMMON) -DCMAKE_BUILD_TYPE=Release -DSIYU_BUILD_TESTS=OFF

build/debug/build.ninja:
	cmake -S . -B build/debug $(CMAKE_COMMON) -DCMAKE_BUILD_TYPE=Debug -DSIYU_SANITIZE=ON

release: build/release/build.ninja
	ninja -C build/release -j $(JOBS) siyu

debug: build/debug/build.ninja
	ninja -C build/debug -j $(JOBS)

web:
	@if [ -f web/package.json ]; then cd web && npm run build --silent; fi

build: deps release web

# Builds a Release binary and the console, then serves on http://127.0.0.1:8080.
# `make run ARGS=--demo` also loads the demo brand.
run: build
	./build/release/siyu serve $(ARGS)

unit: debug
	cd build/debug && ctest --output-on-failure -j $(JOBS)

e2e: debug web
	SIYU_BIN=$(CURDIR)/build/debug/siyu node --test --test-concurrency=1 tests/e2e/

# Debug build with AddressSanitizer + UndefinedBehaviorSanitizer, unit tests, then
# black-box HTTP and browser tests against the real binary.
test: deps deps-test
	$(MAKE) unit
	$(MAKE) e2e

bench: deps deps-test
	cmake -S . -B build/release $(CMAKE_COMMON) -DCMAKE_BUILD_TYPE=Release -DSIYU_BUILD_TESTS=OFF -DSIYU_BUILD_BENCH=ON
	ninja -C build/release -j $(JOBS) siyu engine_bench loyalty_bench
	bench/http/run.sh
	bench/ingest/run.sh 100000 500 4
	bench/ingest/import_compare.sh
	./build/release/bench/engine/engine_bench
	bench/segments/run.sh small
	SIYU_BENCH_BUILD=0 bench/loyalty/run.sh
	bench/loyalty/import.sh

build/fuzz/build.ninja:
	CXX=clang++-14 cmake -S . -B build/fuzz $(CMAKE_COMMON) -DCMAKE_BUILD_TYPE=Debug -DSIYU_FUZZ=ON -DSIYU_BUILD_TESTS=OFF

FUZZ_SECONDS ?= 60
fuzz: deps-test build/fuzz/build.ninja
	ninja -C build/fuzz customer_input_fuzzer
	mkdir -p build/fuzz/corpus
	cp src/cdp/fuzz_corpus/* build/fuzz/corpus/
	./build/fuzz/src/cdp/customer_input_fuzzer -max_total_time=$(FUZZ_SECONDS) -max_len=4096 build/fuzz/corpus

format:
	find src -name '*.cc' -o -name '*.h' | xargs clang-format -i

tidy: build/debug/build.ninja
	find src -name '*.cc' | xargs clang-tidy -p build/debug --quiet

clean:
	rm -rf build
