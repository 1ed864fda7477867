# The two commands a newcomer needs (both install what they need first):
#   make demo   the local end-to-end demo
#   make test   every test tier
.PHONY: demo test setup build bench

demo:
	bash scripts/demo.sh

test:
	bash scripts/test.sh

setup:
	bash scripts/setup.sh

build: setup
	bash scripts/build.sh

bench: build
	X402_EXTRA_NPM_DIRS=bench bash scripts/setup.sh
	node bench/run.mjs
