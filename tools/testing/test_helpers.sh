# test_helpers.sh: the checks shared by the shell tests (source it; //tools/testing:test_helpers).
#
#   source tools/testing/test_helpers.sh
#   expect_line "$output" "gpu_check: all checks passed"
#   expect_status 2 "$output_status" "--batch=0"
#   finish          # exits 1 with the count when a check failed, else prints PASS
#
# Each check records a failure and goes on, so one run reports every broken check.

failures=0

# fail MESSAGE: one failed check.
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# expect_line OUTPUT TEXT: OUTPUT contains TEXT somewhere.
expect_line() {
  grep -qF -- "$2" <<<"$1" || fail "output lacks \"$2\"; output was:"$'\n'"$1"
}

# expect_whole_line OUTPUT LINE / refuse_whole_line OUTPUT LINE: LINE is (not) one of the
# output's lines.
expect_whole_line() {
  grep -qxF -- "$2" <<<"$1" || fail "output lacks the line \"$2\"; output was:"$'\n'"$1"
}
refuse_whole_line() {
  ! grep -qxF -- "$2" <<<"$1" || fail "output has the line \"$2\""
}

# run_status EXPECTED_STATUS COMMAND ARGS...: runs the command, sets $output (stdout and
# stderr) and fails the check when it exits otherwise.
run_status() {
  local expected="$1"
  shift
  output=$("$@" 2>&1)
  local status=$?
  [[ $status -eq $expected ]] || fail "$* exited $status, expected $expected:"$'\n'"$output"
}

# finish: the test's exit.
finish() {
  if [[ $failures -gt 0 ]]; then
    echo "$failures check(s) failed" >&2
    exit 1
  fi
  echo "PASS"
}
