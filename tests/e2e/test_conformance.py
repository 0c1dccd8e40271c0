"""Doris's own regression cases (shared/conformance/doris, run by its run.py) against the real
binary. Each test names the cases it expects to pass; the cases of features that later issues
add (JSON, 2PC, expressions, _http_stream) are listed in docs/CONFORMANCE.md, not here."""
import os
import subprocess
import sys
import unittest

from harness import ROOT, Server

RUNNER = os.path.join(ROOT, "..", "shared", "conformance", "doris", "run.py")

# Every case whose suite needs only CSV loading, conversions, strict mode, the filter ratio,
# labels, the error log, partitions and the SQL API.
CSV_CASES = [
    "test_csv_with_enclose_and_escape",
    "test_csv_with_double_quotes",
    "test_csv_special_seperator",
    "test_csv_split_line",
    "test_csv_with_skip_lines",
    "test_stream_load_strict_mode_and_filter_ratio/tinyint_overflow_non_strict",
    "test_stream_load_strict_mode_and_filter_ratio/tinyint_overflow_strict_ratio_0.3",
    "test_stream_load_strict_mode_and_filter_ratio/tinyint_overflow_strict_ratio_0.2",
    "test_stream_load_strict_mode_and_filter_ratio/decimal_overflow_non_strict",
    "test_stream_load_strict_mode_and_filter_ratio/decimal_overflow_strict_ratio_0.3",
    "test_stream_load_strict_mode_and_filter_ratio/decimal_overflow_strict_ratio_0.2",
    "test_stream_load_strict_mode_and_filter_ratio/null_to_not_null_non_strict_ratio_0.2",
    "test_stream_load_strict_mode_and_filter_ratio/null_to_not_null_non_strict_ratio_0.3",
    "test_stream_load_strict_mode_and_filter_ratio/null_to_not_null_strict_ratio_0.3",
    "test_stream_load_strict_mode_and_filter_ratio/null_to_not_null_strict_ratio_0.2",
    "test_stream_load_strict_mode_and_filter_ratio/no_partition_non_strict_ratio_0.2",
    "test_stream_load_strict_mode_and_filter_ratio/no_partition_non_strict_ratio_0.3",
    "test_stream_load_strict_mode_and_filter_ratio/no_partition_strict_ratio_0.2",
    "test_stream_load_strict_mode_and_filter_ratio/no_partition_strict_ratio_0.3",
    "test_stream_load_strict_mode_and_filter_ratio/string_exceed_len_strict_ratio_0.2",
    "test_stream_load_strict_mode_and_filter_ratio/string_exceed_len_strict_ratio_0.3",
    "test_stream_load_cast/csv1_decimal_string_to_int_non_strict",
    "test_stream_load_cast/csv1_decimal_string_to_int_strict",
    "test_stream_load_cast/csv2_quoted_values_non_strict",
    "test_stream_load_cast/csv2_quoted_values_strict",
    "test_stream_load_cast/csv3_over_limit_non_strict",
    "test_stream_load_cast/csv3_over_limit_strict",
    "test_load_with_decimal/csv",
    "test_get_stream_load_state",
    "test_stream_load_error_url",
    "test_stream_load_illegal_timeout",
    "test_stream_load_illegal_skip_lines",
]

# Doris master truncates over-long strings without strict mode; 2.1/3.0 (sluice's default, see
# specs/doris-stream-load.md) filters the row. With truncate_strings=true sluice does the former.
MASTER_STRING_CASE = "test_stream_load_strict_mode_and_filter_ratio/string_exceed_len_non_strict_ratio_0"


def run(server, cases):
    args = [sys.executable, RUNNER, "--fe", "http://127.0.0.1:%d" % server.fe, "--timeout", "30"]
    for c in cases:
        args += ["--only", c]
    return subprocess.run(args, capture_output=True, text=True, timeout=600)


@unittest.skipUnless(os.path.exists(RUNNER), "shared/conformance is not beside the checkout")
class ConformanceTest(unittest.TestCase):
    def test_csv_suites(self):
        s = Server()
        try:
            out = run(s, CSV_CASES)
        finally:
            s.close()
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertRegex(out.stdout, r"\n(\d+) passed, 0 failed")
        self.assertNotIn("FAIL", out.stdout)

    def test_string_overflow_both_semantics(self):
        s = Server()
        try:
            default = run(s, [MASTER_STRING_CASE])
        finally:
            s.close()
        self.assertIn("too many filtered rows", default.stdout)  # 2.1/3.0: the rows are filtered
        s = Server(extra=["--set", "truncate_strings=true"])
        try:
            master = run(s, [MASTER_STRING_CASE])
        finally:
            s.close()
        self.assertEqual(master.returncode, 0, master.stdout)


if __name__ == "__main__":
    unittest.main()
