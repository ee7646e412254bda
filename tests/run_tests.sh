#!/bin/sh
# Run every cmocka suite given as an argument, show its output, and finish
# with one summary line "total: N passed, N failed, N skipped".
# Exit status is non-zero when any suite fails or crashes.
passed=0; failed=0; skipped=0; crashed=0
for t in "$@"; do
  echo "== $t"
  # a path as given (make's BUILD may be absolute); a bare name is run from this folder
  case $t in */*) exe=$t ;; *) exe=./$t ;; esac
  # XLREC_TEST_RUNNER (e.g. "qemu-aarch64") runs cross-built suites under emulation
  out=$(${XLREC_TEST_RUNNER:-} "$exe" 2>&1); rc=$?
  printf '%s\n' "$out"
  p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -n 1)
  f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -n 1)
  s=$(printf '%s\n' "$out" | sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' | tail -n 1)
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${s:-0}))
  if [ "$rc" -ne 0 ] && [ -z "$f" ]; then
    echo "!! $t exited with status $rc without a cmocka summary (crash or sanitizer report)"
    crashed=$((crashed + 1)); failed=$((failed + 1))
  fi
  [ "$rc" -ne 0 ] && [ -n "$f" ] && [ "${f:-0}" -eq 0 ] && { failed=$((failed + 1)); crashed=$((crashed + 1)); }
done
echo "total: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
