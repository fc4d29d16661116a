#!/usr/bin/env bash
# The test suite under the sanitizers, each in a build directory of its own (.build/asan,
# .build/tsan) so the plain `swift test` build is left alone.
#
# usage: Scripts/sanitize.sh address   the whole suite under AddressSanitizer + UndefinedBehaviorSanitizer
#        Scripts/sanitize.sh thread    the threaded code under ThreadSanitizer: the batcher and
#                                      streaming loader (worker threads), the thread pool and the
#                                      kernels on it, the data-loading CLI runs and signal handling
#   extra arguments go to `swift test` (e.g. --filter GEMMTests)
# Any report fails the run (halt_on_error). LeakSanitizer is off: XCTest on Linux keeps every test
# case, its teardown blocks and Foundation.Process's bookkeeping until exit, and a CLI run that
# fails ends in exit() with its error still held, so its reports would be about those.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
TSAN_FILTER=${TSAN_FILTER:-"BatcherTests|StreamedImagesTests|GEMMTests|ConvLayerTests|AdamTests|ImageFolderAdapterTests|ImageFolderCLITests|RunLifecycleTests|ResumeTests"}
mode=${1:-}
shift || true
case $mode in
  address)
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:halt_on_error=1}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
    # Swift on Linux has no -sanitize=undefined: UBSan instruments the C targets (the kernels, the
    # image shim), whose handlers the ASan runtime carries.
    exec swift test --scratch-path .build/asan --sanitize=address \
      -Xcc -fsanitize=undefined -Xcc -fno-sanitize-recover=undefined "$@" ;;
  thread)
    export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}
    if [[ " $* " == *" --filter "* ]]; then exec swift test --scratch-path .build/tsan --sanitize=thread "$@"; fi
    exec swift test --scratch-path .build/tsan --sanitize=thread --filter "$TSAN_FILTER" "$@" ;;
  *) echo "usage: $0 address|thread [swift test arguments]" >&2; exit 2 ;;
esac
