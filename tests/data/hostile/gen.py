#!/usr/bin/env python3
"""Generate the hostile-input corpus: one .case file per hostile request (README.md here says
the format). Run from anywhere: `python3 tests/data/hostile/gen.py` rewrites every *.case file
of this directory (and removes stale ones); the files are committed, so a change to this script
shows up as a reviewable diff of the cases. tests/e2e/test_hostile.py replays them.

The target the cases assume (test_hostile.py creates it): database hz with
  t   (k INT, v VARCHAR(16))   DUPLICATE KEY(k)          -- CSV / JSON loads
  u   (k INT, v VARCHAR(16))   UNIQUE KEY(k)             -- merge_type, delete, sequence
  big (k INT)                                          -- 2000 rows preloaded (query bombs)
and Yamcs instance hz with table yt (a INT primary key, s STRING)."""
import base64
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = []


def add(group, name, port, req, kind, status, text="", note=""):
    """One case: the raw request (bytes, macros allowed), the reply expected."""
    CASES.append((group, name, port, req, kind, status, text, note))


def head(method, path, headers=(), version="HTTP/1.1", auth=True):
    lines = ["%s %s %s" % (method, path, version), "Host: x"]
    if auth:
        lines.append("Authorization: {{AUTH}}")
    lines += ["%s: %s" % kv if isinstance(kv, tuple) else kv for kv in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def with_body(method, path, headers, body, **kw):
    """A request with Content-Length computed at replay (the body may hold macros)."""
    return head(method, path, list(headers) + ["Content-Length: {{CL}}"], **kw) + body


LOAD = "/api/hz/t/_stream_load"
CSV = [("column_separator", ",")]
DORIS_INVALID = "[INVALID_ARGUMENT]"

# ---- 1. HTTP framing ------------------------------------------------------------------------


def framing():
    body = b"1,a\n"
    ch = b"4\r\n1,a\n\r\n0\r\n\r\n"
    te, cl = "Transfer-Encoding: chunked", "Content-Length: %d" % len(ch)
    shapes = {
        "cl_then_te": ([cl, te], ch), "te_then_cl": ([te, cl], ch),
        "cl_and_te_chunked_upper": ([cl, "Transfer-Encoding: CHUNKED"], ch),
        "two_cl_same": (["Content-Length: 4", "Content-Length: 4"], body),
        "two_cl_differ": (["Content-Length: 4", "Content-Length: 40"], body),
        "cl_list": (["Content-Length: 4, 4"], body),
        "cl_negative": (["Content-Length: -4"], body),
        "cl_plus_sign": (["Content-Length: +4"], body),
        "cl_hex": (["Content-Length: 0x4"], body),
        "cl_overflow": (["Content-Length: 99999999999999999999999"], body),
        "cl_space_inside": (["Content-Length: 4 4"], body),
        "cl_empty": (["Content-Length: "], body),
        "te_double": ([te, te], ch), "te_chunked_chunked": (["Transfer-Encoding: chunked, chunked"], ch),
        "te_gzip_chunked": (["Transfer-Encoding: gzip, chunked"], ch),
        "te_unknown": (["Transfer-Encoding: xchunked"], ch),
        "te_identity_after": ([te, "Transfer-Encoding: identity"], ch),
        "te_space_before_colon": (["Transfer-Encoding : chunked"], ch),
        "cl_space_before_colon": (["Content-Length : 4"], body),
        "obs_fold": (["X-A: a", " folded", "Content-Length: 4"], body),
        "tab_fold": (["X-A: a", "\tfolded", "Content-Length: 4"], body),
        "chunk_size_bad_hex": ([te], b"zz\r\n1,a\n\r\n0\r\n\r\n"),
        "chunk_size_negative": ([te], b"-4\r\n1,a\n\r\n0\r\n\r\n"),
        "chunk_size_overflow": ([te], b"ffffffffffffffffffff\r\n1,a\n\r\n0\r\n\r\n"),
        "chunk_size_0x_prefix": ([te], b"0x4\r\n1,a\n\r\n0\r\n\r\n"),
        "chunk_size_space": ([te], b"4 \r\n1,a\n\r\n0\r\n\r\n"),
        "chunk_missing_crlf": ([te], b"4\r\n1,a\nXY0\r\n\r\n"),
        "chunk_too_long": ([te], b"2\r\n1,a\n\r\n0\r\n\r\n"),
        "chunk_bare_lf": ([te], b"4\n1,a\n\n0\n\n"),
        "chunk_ext_nul": ([te], b"4;a\x00b\r\n1,a\n\r\n0\r\n\r\n"),
        "chunk_ext_huge": ([te], b"4;" + b"e" * 70000 + b"\r\n1,a\n\r\n0\r\n\r\n"),
        "chunk_trailer_smuggle": ([te], b"4\r\n1,a\n\r\n0\r\nContent-Length: 5\r\nX\x00: y\r\n\r\n"),
        "te_on_http10": (["Transfer-Encoding: chunked"], ch),
    }
    for name, (hs, b) in shapes.items():
        version = "HTTP/1.0" if name == "te_on_http10" else "HTTP/1.1"
        req = head("PUT", LOAD, ["column_separator: ,"] + hs, version=version) + b
        ok501 = name in ("te_gzip_chunked", "te_unknown")
        if name == "chunk_ext_huge":   # defect found by this corpus: was accepted, loaded the row
            add("framing", name, "be", req + b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n",
                "http-error", 400, "bad request: chunk extension too long",
                "a 70000-byte chunk extension: bounded at 4096 bytes")
            continue
        add("framing", name, "be", req + b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n",
            "http-error", 501 if ok501 else 400,
            "not implemented: unsupported transfer coding" if ok501 else "bad request",
            "request smuggling shape; the pipelined GET behind it must never be answered")
    # heads
    add("framing", "header_value_70k", "be", head("GET", "/api/health", ["X-Big: " + "a" * 70000]),
        "http-error", 431, "", "head larger than max_header_bytes (64 KiB)")
    add("framing", "header_count_7000", "be",
        head("GET", "/api/health", ["X-H%d: v" % i for i in range(7000)]), "http-error", 431, "",
        "7000 header lines (past the 64 KiB head limit)")
    add("framing", "header_name_70k", "be", head("GET", "/api/health", ["X" * 70000 + ": v"]),
        "http-error", 431, "", "one giant header name")
    add("framing", "url_70k", "be", head("GET", "/api/health?" + "q" * 70000), "http-error", 431,
        "", "a giant request target")
    for name, line in (("nul_in_header_value", b"X-A: a\x00b"), ("nul_in_header_name", b"X\x00A: b"),
                       ("cr_in_header_value", b"X-A: a\rb"), ("ctl_in_header_name", b"X\x01A: b"),
                       ("no_colon", b"JustText"), ("empty_name", b": value"),
                       ("space_in_name", b"X A: b"), ("high_bytes_name", b"X\xffA: b")):
        req = b"GET /api/health HTTP/1.1\r\nHost: x\r\n" + line + b"\r\n\r\n"
        add("framing", name, "be", req, "http-error", 400, "bad request", "malformed header line")
    for name, line in (("nul_in_path", b"GET /api/hea\x00lth HTTP/1.1"),
                       ("space_in_path", b"GET /api/hea lth HTTP/1.1"),
                       ("no_version", b"GET /api/health"),
                       ("bad_version", b"GET /api/health HTTP/9.9"),
                       ("lowercase_version", b"GET /api/health http/1.1"),
                       ("method_garbage", b"G\x01T /api/health HTTP/1.1"),
                       ("method_lowercase", b"get /api/health HTTP/1.1"),
                       ("method_unknown", b"BREW /api/health HTTP/1.1"),
                       ("binary_line", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"),
                       ("http09", b"GET /api/health"),
                       ("leading_crlf_garbage", b"\r\n\r\nxx GET /api/health HTTP/1.1")):
        req = line + b"\r\nHost: x\r\n\r\n"
        add("framing", name, "be", req, "http-error", 400, "", "malformed request line")
    # pipelined garbage behind a good request: the good one is answered, then 400 and close
    for i, junk in enumerate((b"\x00" * 64, b"GARBAGE\r\n\r\n", b"\xff\xfe" * 100,
                              b"GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n",
                              b"PUT " + LOAD.encode() + b" HTTP/1.1\r\nHost: x\r\n"
                              b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n1,a\n")):
        add("framing", "pipelined_garbage_%d" % i, "be",
            b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n" + junk, "statuses", 0, "200,400",
            "a good request, then garbage on the same connection")
    # the same smuggling shapes on the other listeners
    for port, path, extra in (("fe", LOAD, ["Expect: 100-continue"]),
                              ("fe", "/api/query/default_cluster/hz", ["Content-Type: application/json"]),
                              ("be", "/api/archive/hz/tables/yt:writeRows", []),
                              ("ts", "/ts_dataservice/v1/public/session", [])):
        for name, hs in (("cl_te", ["Content-Length: 9", "Transfer-Encoding: chunked"]),
                         ("two_cl", ["Content-Length: 9", "Content-Length: 10"])):
            method = "PUT" if path == LOAD else "POST"
            req = head(method, path, extra + hs) + b"4\r\n{}{}\r\n0\r\n\r\n"
            add("framing", "%s_%s_%s" % (name, port, path.split("/")[2].replace(":", "_")), port,
                req + b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n", "http-error", 400,
                "bad request", "smuggling shape on another listener")


# ---- 2. every Doris Stream Load header ----------------------------------------------------------

BOOL_HEADERS = ["strip_outer_array", "num_as_string", "fuzzy_parse", "read_json_by_line",
                "trim_double_quotes", "load_to_single_tablet", "partial_columns",
                "enable_profile", "memtable_on_sink_node", "two_phase_commit", "strict_mode",
                "empty_field_as_null"]
INT_HEADERS = ["timeout", "skip_lines", "exec_mem_limit", "send_batch_parallelism",
               "load_stream_per_node"]
NUM_BAD = [("negative", "-1"), ("huge", "9" * 40), ("float", "1.5"), ("word", "ten"),
           ("hex", "0x10"), ("int64_min", "-9223372036854775809"), ("trailing_junk", "5;x")]
SIGNED_OK = ("send_batch_parallelism", "load_stream_per_node")  # Doris takes negatives here
STR_BAD = {
    "format": ["xml", "csv;drop", "x" * 5000, "CSV_WITH_NAMES_AND_TYPES_AND_MORE", "\u00e9"],
    "columns": ["k,v,", "k,,v", "k=", "(k)", "k,v,k", "k, v=nosuchfunc(k)", "k, v=" + "(" * 500,
                "`k", "k, v = sleep(10)", "k; drop table t"],
    "where": ["k >", "k = (select 1)", "nosuchfunc(k) = 1", "1=1; drop table t", "k" + " and k" * 3000],
    "column_separator": ["\\x", "\\xZZ", "\\x0"],
    "line_delimiter": ["\\xZZ", "\\x"],
    "enclose": ["ab", "\\xZZ"],
    "escape": ["ab", "\\xZZ"],
    "partitions": ["nope", "t,,t", "p" * 4000],
    "temporary_partitions": ["t", "nope"],
    "negative": ["yes", "1"],
    "timezone": ["Mars/Olympus", "+99:00", "UTC+1000", "../../../etc/passwd", "x" * 300],
    "time_zone": ["Nowhere/City"],
    "jsonpaths": ["[", "[\"$.a\"", "[1,2]", "\"$.k\"", "[\"$[\"]", "[" * 2000],
    "json_root": ["$[", "k", "$." + "a." * 2000],
    "merge_type": ["UPSERT", "delete;"],
    "delete": ["k >", "nosuch = 1"],
    "function_column.sequence_col": ["nosuchcol"],
    "compress_type": ["rar", "gz;", "x" * 100],
    "hidden_columns": ["__nosuch__"],
    "group_commit": ["sometimes"],
    "unique_key_update_mode": ["MAGIC"],
    "partial_update_new_key_behavior": ["EXPLODE"],
    "label": ["a" * 200, "bad label!", "\u00e9t\u00e9", "../x"],
    "max_filter_ratio": ["1.0000001", "1e-400x", "0x1"],
}


JSON_ONLY = ("jsonpaths", "json_root")


def doris_headers():
    for h in BOOL_HEADERS:
        for tag, v in (("word", "maybe"), ("num", "2"), ("empty_quotes", "\"\"")):
            add("doris_header", "%s_%s" % (h, tag), "be",
                with_body("PUT", LOAD, CSV + [(h, v)], b"1,a\n"), "doris", 200, DORIS_INVALID,
                "boolean header %s = %r" % (h, v))
    for h in INT_HEADERS:
        for tag, v in NUM_BAD:
            if tag == "negative" and h in SIGNED_OK:
                continue
            add("doris_header", "%s_%s" % (h, tag), "be",
                with_body("PUT", LOAD, CSV + [(h, v)], b"1,a\n"), "doris", 200, "",
                "numeric header %s = %r" % (h, v))
    for h, vals in STR_BAD.items():
        for i, v in enumerate(vals):
            if h in JSON_ONLY:
                add("doris_header", "%s_%d" % (h, i), "be",
                    with_body("PUT", LOAD, [("format", "json"), ("strip_outer_array", "true"),
                                            (h, v)], b"[{\"k\": 1, \"v\": \"a\"}]"),
                    "doris", 200, "", "JSON header %s = %r" % (h, v[:60]))
                continue
            table = "u" if h in ("merge_type", "delete", "function_column.sequence_col",
                                 "unique_key_update_mode", "partial_update_new_key_behavior") else "t"
            hs = ([] if h == "column_separator" else CSV) + [(h, v)]
            add("doris_header", "%s_%d" % (h.replace(".", "_"), i), "be",
                with_body("PUT", "/api/hz/%s/_stream_load" % table,
                          [(k, x.encode("utf-8").decode("latin-1")) for k, x in hs], b"1,a\n"),
                "doris", 200, "", "header %s = %r" % (h, v[:60]))
    # conflicting combinations
    for name, hs in (("read_by_line_and_strip", [("format", "json"), ("read_json_by_line", "true"),
                                                 ("strip_outer_array", "true"), ("jsonpaths", "[")]),
                     ("delete_without_merge", [("delete", "k = 1")])):
        add("doris_header", name, "be", with_body("PUT", LOAD, CSV + hs, b"1,a\n"), "doris", 200,
            "", "conflicting headers")
    # the FE door checks the same values before redirecting
    for h, v in (("timeout", "-5"), ("max_filter_ratio", "7"), ("two_phase_commit", "maybe")):
        add("doris_header", "fe_%s" % h, "fe",
            head("PUT", LOAD, ["Expect: 100-continue", "Content-Length: 0", (h, v)]),
            "redirect", 307, "", "the FE redirects as Doris's does (the load port checks values)")


# ---- 3. bodies ----------------------------------------------------------------------------------


def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def pb_field(num, wire, payload):
    key = varint((num << 3) | wire)
    if wire == 2:
        return key + varint(len(payload)) + payload
    return key + payload


def yrow(cells, columns=()):
    msg = b""
    for cid, name, typ in columns:
        info = pb_field(1, 0, varint(cid)) + pb_field(2, 2, name.encode()) + pb_field(3, 2, typ.encode())
        msg += pb_field(1, 2, info)
    for cid, data in cells:
        msg += pb_field(2, 2, pb_field(1, 0, varint(cid)) + pb_field(2, 2, data))
    return msg


def bodies():
    strict = CSV + [("strict_mode", "true")]
    csv_cases = {
        "invalid_utf8": b"1,\xff\xfe\xfd\n", "overlong_utf8": b"1,\xc0\xaf\n",
        "surrogate_utf8": b"1,\xed\xa0\x80\n", "truncated_utf8": b"1,\xe2\x82\n",
        "giant_field": b"1,{{REP:61:2000000}}\n", "giant_int": b"{{REP:39:100000}},a\n",
        "very_wide_row": b"1,a{{REP:2c:200000}}\n", "nul_in_int": b"1\x00,a\n",
        "only_separators": b",,,,,,,,\n", "bad_int": b"x,a\n", "int_overflow": b"99999999999,a\n",
        "negative_zero_float_int": b"-0.0e999,a\n", "one_line_10mb": b"{{REP:41:10000000}}",
        "many_empty_lines": b"{{REP:0a:1000000}}x,y\n", "cr_only": b"{{REP:0d:100000}}",
        "mixed_good_and_bad": b"1,a\nx,b\n",
    }
    for name, body in csv_cases.items():
        add("body_csv", name, "be", with_body("PUT", LOAD, strict, body), "doris", 200, "",
            "strict CSV load of a hostile body: refused whole")
    jhdr = [("format", "json"), ("strip_outer_array", "true"), ("strict_mode", "true")]
    json_cases = {
        "deep_array": b"{{REP:5b:100000}}", "deep_object": b"{{REP:7b2261223a:50000}}",
        "deep_in_row": b"[{\"k\":1,\"v\":{{REP:5b:5000}}}]",
        "unterminated_string": b"[{\"k\":1,\"v\":\"abc}]", "bad_escape": b"[{\"k\":1,\"v\":\"\\q\"}]",
        "lone_surrogate": b"[{\"k\":1,\"v\":\"\\ud800\"}]",
        # passed through as rapidjson does (json_scan.c); the bad second row fails the load
        "invalid_utf8": b"[{\"k\":1,\"v\":\"\xff\"},{\"k\":\"x\"}]",
        "nan": b"[{\"k\":NaN,\"v\":\"a\"}]", "huge_number": b"[{\"k\":1{{REP:30:5000}},\"v\":\"a\"}]",
        "exp_overflow": b"[{\"k\":1e999999999,\"v\":\"a\"}]", "trailing_comma": b"[{\"k\":1,},]",
        "duplicate_keys": b"[{\"k\":1,\"k\":\"x\",\"v\":\"a\"}]", "not_json": b"\x00\x01\x02",
        "bom_then_garbage": b"\xef\xbb\xbf{{", "giant_key": b"[{\"{{REP:6b:1000000}}\":1}]",
        "wide_object": b"[{{{REP:2261223a312c:100000}}\"k\":1},{\"k\":\"x\"}]",
        "many_rows_one_bad": b"[{\"k\":1,\"v\":\"a\"},{\"k\":\"x\",\"v\":\"b\"}]",
        "wrong_type_row": b"[1,2,3]", "object_not_array": b"{\"k\":1,\"v\":\"a\"} junk",
        "giant_string": b"[{\"k\":1,\"v\":\"{{REP:61:3000000}}\"}]",
        "nul_in_key": b"[{\"k\x00\":1}]",
    }
    for name, body in json_cases.items():
        add("body_json", name, "be", with_body("PUT", LOAD, jhdr, body), "doris", 200, "",
            "strict JSON load of a hostile body: refused whole")
    # compression: truncated, corrupt, bombs
    comp = {
        "gz_truncated": ("gz", b"{{GZ:1,a\n:0:10}}"), "gz_garbage": ("gz", b"\x1f\x8b\x08\x00garbage"),
        "gz_bomb": ("gz", b"{{GZ_ZEROS:64000000}}"), "gz_bad_crc": ("gz", b"{{GZ_BADCRC:1,a\n}}"),
        "bz2_garbage": ("bz2", b"BZh9garbage"),
        "lz4_garbage": ("lz4", b"\x04\x22\x4d\x18garbage"), "lz4frame_garbage": ("lz4frame", b"junk"),
        "zstd_garbage": ("zstd", b"\x28\xb5\x2f\xfdjunk"), "deflate_garbage": ("deflate", b"\xff\xff"),
        "snappy_garbage": ("snappy", b"\xff\xff\xff\xff\xff"), "lzo_garbage": ("lzo", b"\x89LZO"),
        "lzop_garbage": ("lzop", b"\x89LZO\x00\r\n\x1a\n"), "brotli_garbage": ("brotli", b"\xff" * 20),
        "zstd_bomb_header": ("zstd", b"\x28\xb5\x2f\xfd\xe4\x00\x00\x00\x00\x00\x00\x00\x10\x00"),
        "gz_nested_bomb": ("gz", b"{{GZ_GZ_ZEROS:64000000}}"),
    }
    for name, (ct, body) in comp.items():
        add("body_compress", name, "be",
            with_body("PUT", LOAD, strict + [("compress_type", ct)], body), "doris", 200, "",
            "compressed body (%s) that is truncated, corrupt or a bomb" % ct)
    for name, ct, body in (("json_gz_bomb", "gz", b"{{GZ_ZEROS:64000000}}"),
                           ("json_gz_corrupt", "gz", b"\x1f\x8b\x08junk")):
        add("body_compress", name, "be",
            with_body("PUT", LOAD, jhdr + [("compress_type", ct)], body), "doris", 200, "",
            "a JSON body inflating past streaming_load_json_max_mb, or corrupt")
    # columnar formats with garbage bodies
    for fmt, body in (("parquet", b"PAR1garbagePAR1"), ("parquet", b"PAR1"), ("orc", b"ORC"),
                      ("orc", b"ORCjunkjunkjunk\x03"), ("arrow", b"ARROW1\x00\x00garbage"),
                      ("arrow", b"\xff\xff\xff\xff\x7f\xff\xff\xff"),
                      ("parquet", b"PAR1" + b"\x00" * 100 + struct.pack("<i", 2 ** 31 - 1) + b"PAR1"),
                      ("parquet", b"PAR1" + b"\xff" * 64 + struct.pack("<i", 60) + b"PAR1")):
        add("body_columnar", "%s_%d" % (fmt, len(body)), "be",
            with_body("PUT", LOAD, [("format", fmt)], body), "doris", 200, "",
            "a %s body that is not a valid file" % fmt)
    # Yamcs :writeRows with hostile protobuf
    ypath = "/api/archive/hz/tables/yt:writeRows"
    cols = [(1, "a", "INT"), (2, "s", "STRING")]
    good = yrow([(1, b"\x00\x00\x00\x01"), (2, b"x")], cols)
    ycases = {
        "varint_11_bytes": b"\xff" * 10 + b"\x01" + good,
        "length_huge": varint(2 ** 40) + good,
        "length_past_end": varint(len(good) + 50) + good,
        "truncated_row": varint(len(good)) + good[:-3],
        "bad_wire_type": varint(3) + b"\x0f\x01\x02",
        "undeclared_column": varint(len(yrow([(9, b"x")]))) + yrow([(9, b"x")]),
        "int_wrong_length": varint(len(yrow([(1, b"\x01")], cols[:1]))) + yrow([(1, b"\x01")], cols[:1]),
        "unknown_type": varint(len(yrow([(1, b"1")], [(1, "a", "QUATERNION")]))) +
        yrow([(1, b"1")], [(1, "a", "QUATERNION")]),
        "column_id_huge": varint(len(yrow([(2 ** 35, b"x")], [(2 ** 35, "a", "INT")]))) +
        yrow([(2 ** 35, b"x")], [(2 ** 35, "a", "INT")]),
        "string_invalid_utf8": varint(len(yrow([(1, b"\0\0\0\1"), (2, b"\xff\xfe")], cols))) +
        yrow([(1, b"\0\0\0\1"), (2, b"\xff\xfe")], cols),
        "nested_groups": varint(2000) + b"\x0b" * 2000,
        "good_then_garbage": varint(len(good)) + good + b"\xff\xff\xff",
        "zero_length_rows": b"\x00" * 1000,
        "no_such_column_name": varint(len(yrow([(1, b"x")], [(1, "nosuch", "STRING")]))) +
        yrow([(1, b"x")], [(1, "nosuch", "STRING")]),
    }
    for name, body in ycases.items():
        add("body_yamcs", name, "be",
            with_body("POST", ypath, [("Content-Type", "application/protobuf")], body), "yamcs",
            400, "", "hostile protobuf rows on :writeRows")
    for name, body in (("json_not_proto", b"{\"a\":1}"), ("empty_body", b"")):
        add("body_yamcs", name, "be",
            with_body("POST", "/api/archive/hz/tables/nosuch:writeRows",
                      [("Content-Type", "application/protobuf")], body), "yamcs", 404, "",
            "unknown table")


# ---- 4. Yamcs and tsload headers and parameters ---------------------------------------------------


def yamcs():
    for name, (ct, body) in {
            "execsql_not_json": ("application/json", b"{statement: drop}"),
            "execsql_deep_json": ("application/json", b"{\"statement\":" + b"[" * 100000),
            "execsql_wrong_type": ("application/json", b"{\"statement\": 42}"),
            "execsql_stacked": ("application/json",
                                b"{\"statement\": \"create table z1(a INT, primary key(a)); drop table yt\"}"),
            "execsql_unknown": ("application/json", b"{\"statement\": \"vacuum everything\"}"),
            "execsql_giant": ("application/json", b"{\"statement\": \"{{REP:61:2000000}}\"}"),
            "execsql_bad_ct": ("text/x-nonsense", b"{\"statement\": \"show tables\"}"),
            "execsql_proto_garbage": ("application/protobuf", b"\xff\xff\xff\xff\xff"),
            "execsql_create_bad_type": ("application/json",
                                        b"{\"statement\": \"create table z2(a FOO, primary key(a))\"}"),
            "execsql_create_no_pk": ("application/json", b"{\"statement\": \"create table z3(a INT)\"}"),
            "execsql_create_injection": ("application/json",
                                         b"{\"statement\": \"create table `z4`; drop table yt --`(a INT, primary key(a))\"}"),
    }.items():
        add("yamcs", name, "be", with_body("POST", "/api/archive/hz:executeSql",
                                           [("Content-Type", ct)], body), "yamcs", 400, "",
            "executeSql with a hostile statement or body")
    for name, path, ct, status in (
            ("readrows_unknown_table", "/api/archive/hz/tables/nosuch:readRows", "application/protobuf", 404),
            ("readrows_bad_query", "/api/archive/hz/tables/yt:readRows", "application/json", 400),
            ("unknown_action", "/api/archive/hz/tables/yt:explode", "application/protobuf", 404),
            ("instance_traversal", "/api/archive/..%2f..%2fetc:executeSql", "application/json", 400),
            ("instance_nul", "/api/archive/hz%00x:executeSql", "application/json", 400),
            ("instance_unknown", "/api/archive/nosuchinst/tables/yt:writeRows", "application/protobuf", 404),
            ("table_quote", "/api/archive/hz/tables/yt%22%3b:writeRows", "application/protobuf", 404)):
        body = b"{\"query\": \"a = ; drop\", \"cols\": 5}" if ct == "application/json" else b""
        if name == "instance_traversal":
            body = b"{\"statement\": \"show tables\"}"
        add("yamcs", name, "be", with_body("POST", path, [("Content-Type", ct)], body), "yamcs",
            status, "", "Yamcs path or parameters hostile")
    for name, stmt in (("drop_stacked", "drop table yt; drop table t"),
                       ("drop_trailing_garbage", "drop table yt garbage"),
                       ("create_stacked_drop", "create table z5 (a INT, primary key(a)) engine x; drop table yt")):
        add("yamcs", name, "be", with_body("POST", "/api/archive/hz:executeSql",
                                           [("Content-Type", "application/json")],
                                           json.dumps({"statement": stmt}).encode()),
            "yamcs", 400, "", "a second statement after Yamcs DDL: refused (was skipped silently)")


TS = "/ts_dataservice/v1/public"


def tsload():
    # login with hostile forms
    for name, ct, body in (
            ("login_no_fields", "application/x-www-form-urlencoded", b""),
            ("login_bad_percent", "application/x-www-form-urlencoded", b"username=%zz&password=%"),
            ("login_nul", "application/x-www-form-urlencoded", b"username=root%00&password="),
            ("login_giant", "application/x-www-form-urlencoded", b"username={{REP:61:1000000}}&password=x"),
            ("login_json_wrong_type", "application/json", b"{\"username\": [1], \"password\": {}}"),
            ("login_json_deep", "application/json", b"{{REP:5b:100000}}"),
            ("login_json_garbage", "application/json", b"\xff\xfe"),
            ("login_sql_injection", "application/x-www-form-urlencoded",
             b"username=root'--&password=x' OR '1'='1")):
        add("tsload", name, "ts", with_body("POST", TS + "/session", [("Content-Type", ct)], body,
                                            auth=False), "tsload", 0, "", "hostile login")
    # start a load with hostile parameters (a session cookie from the replay)
    target = {"database": "hz", "table": "t"}
    bad_params = {
        "params_not_json": b"{target:", "params_deep": b"{\"target\":" + b"[" * 100000,
        "target_wrong_type": json.dumps({"target": "hz.t"}).encode(),
        "db_wrong_type": json.dumps({"target": {"database": 7, "table": "t"}}).encode(),
        "table_unknown": json.dumps({"target": {"database": "hz", "table": "nosuch"}}).encode(),
        "table_injection": json.dumps({"target": {"database": "hz", "table": "t; drop table t"}}).encode(),
        "db_traversal": json.dumps({"target": {"database": "../../etc", "table": "t"}}).encode(),
        "sep_too_long": json.dumps({"target": target, "format": {"field_separator": "ab"}}).encode(),
        "sep_empty": json.dumps({"target": target, "format": {"field_separator": ""}}).encode(),
        "sep_wrong_type": json.dumps({"target": target, "format": {"field_separator": 5}}).encode(),
        "format_wrong_type": json.dumps({"target": target, "format": "csv"}).encode(),
        "max_ignored_negative": json.dumps({"target": target, "load_options": {"max_ignored_rows": -5}}).encode(),
        "max_ignored_huge": b"{\"target\": {\"database\": \"hz\", \"table\": \"t\"}, \"load_options\": {\"max_ignored_rows\": 1e400}}",
        "max_ignored_string": json.dumps({"target": target, "load_options": {"max_ignored_rows": "ten"}}).encode(),
        "date_format_bad": json.dumps({"target": target, "format": {"date_time": {"date_format": "%Q%Q"}}}).encode(),
        "date_format_giant": json.dumps({"target": target, "format": {"date_time": {"date_format": "%Y" * 5000}}}).encode(),
        "has_header_wrong_type": json.dumps({"target": target, "format": {"has_header_row": "maybe"}}).encode(),
        "unknown_option": json.dumps({"target": target, "load_options": {"self_destruct": True}}).encode(),
        "null_value_giant": json.dumps({"target": target, "format": {"null_value": "n" * 100000}}).encode(),
        "enclosing_wrong": json.dumps({"target": target, "format": {"enclosing_char": "\"\""}}).encode(),
    }
    for name, body in bad_params.items():
        add("tsload", name, "ts", with_body("POST", TS + "/loads", [("Cookie", "{{COOKIE}}")], body,
                                            auth=False), "tsload", 0, "", "start a load with hostile parameters")
    for name, path, method in (("cycle_unknown", TS + "/loads/nosuchcycle", "GET"),
                               ("cycle_traversal", TS + "/loads/..%2f..%2fetc", "GET"),
                               ("cycle_giant", TS + "/loads/" + "c" * 10000, "GET"),
                               ("cycle_commit_unknown", TS + "/loads/nosuch/commit", "POST"),
                               ("cycle_op_unknown", TS + "/loads/nosuch/explode", "POST"),
                               ("bad_records_unknown", TS + "/loads/nosuch/bad_records_file", "GET"),
                               ("no_cookie_loads", TS + "/loads", "GET"),
                               ("forged_cookie", TS + "/loads", "GET")):
        cookie = [] if name == "no_cookie_loads" else \
            [("Cookie", "token=forged%s" % ("x" * 64) if name == "forged_cookie" else "{{COOKIE}}")]
        req = with_body(method, path, cookie, b"", auth=False) if method == "POST" else \
            head(method, path, cookie, auth=False)
        add("tsload", name, "ts", req, "tsload", 0, "", "tsload cycle path hostile")
    # uploads with hostile multipart bodies into a fresh cycle
    bodies_ = {
        "multipart_no_boundary": ("multipart/form-data", b"--x\r\n\r\n1\r\n--x--\r\n"),
        "multipart_wrong_boundary": ("multipart/form-data; boundary=abc", b"--zzz\r\n\r\n1\r\n--zzz--\r\n"),
        "multipart_unterminated": ("multipart/form-data; boundary=b", b"--b\r\nContent-Disposition: form-data; name=\"documents\"; filename=\"f\"\r\n\r\n1|a\n"),
        "multipart_giant_boundary": ("multipart/form-data; boundary=" + "b" * 5000, b"--b\r\n"),
        "multipart_header_flood": ("multipart/form-data; boundary=b",
                                   b"--b\r\n{{REP:582d413a20790d0a:20000}}\r\n1\r\n--b--\r\n"),
        "multipart_no_disposition": ("multipart/form-data; boundary=b", b"--b\r\n\r\n1|a\n\r\n--b--\r\n"),
        "not_multipart": ("text/plain", b"1|a\n"),
        "multipart_invalid_utf8_rows": ("multipart/form-data; boundary=b",
                                        b"--b\r\nContent-Disposition: form-data; name=\"documents\"; filename=\"f\"\r\n\r\n1|\xff\xfe\n\r\n--b--\r\n"),
    }
    for name, (ct, body) in bodies_.items():
        add("tsload", name, "ts", with_body("POST", TS + "/loads/{{CYCLE}}",
                                            [("Cookie", "{{COOKIE}}"), ("Content-Type", ct)], body,
                                            auth=False), "tsload", 0, "", "hostile upload body")


# ---- 5. SQL API and MySQL port ----------------------------------------------------------------------


SQL = {
    "stacked_drop": "SELECT 1; DROP TABLE t",
    "stacked_insert": "SELECT count(*) FROM t; INSERT INTO t VALUES (1, 'x')",
    "comment_stacked": "SELECT 1 /* */; DROP DATABASE hz",
    "ident_backtick_injection": "SELECT * FROM `t`; DROP TABLE t; --`",
    "ident_backtick_escape": "SELECT * FROM `t``; DROP TABLE t`",
    "ident_dquote": "SELECT * FROM \"t\"; DROP TABLE t",
    "ident_nul": "SELECT * FROM t\u0000x",
    "ident_giant": "SELECT * FROM " + "t" * 100000,
    "ident_unicode_quote": "SELECT * FROM t\u02bc; DROP TABLE t",
    "db_qualified_other": "SELECT * FROM sqlite_master",
    "pg_catalog": "SELECT * FROM pg_catalog.pg_user",
    "information_schema_users": "SELECT * FROM information_schema.users",
    "catalog_table": "SELECT * FROM sluice.users",
    "attach": "ATTACH DATABASE '/tmp/x.db' AS x",
    "pragma": "PRAGMA writable_schema = 1",
    "load_extension": "SELECT load_extension('/tmp/x.so')",
    "fn_load_file": "SELECT load_file('/etc/passwd')",
    "fn_readfile": "SELECT readfile('/etc/passwd')",
    "fn_pg_read_file": "SELECT pg_read_file('/etc/passwd')",
    "fn_sleep": "SELECT sleep(100)",
    "fn_pg_sleep": "SELECT pg_sleep(100)",
    "fn_randomblob": "SELECT randomblob(1000000000)",
    "fn_zeroblob": "SELECT zeroblob(1000000000)",
    "fn_system": "SELECT system('id')",
    "fn_unknown": "SELECT no_such_function(1)",
    "fn_lo_import": "SELECT lo_import('/etc/passwd')",
    "fn_dblink": "SELECT dblink('host=x', 'select 1')",
    "fn_current_setting": "SELECT current_setting('data_directory')",
    "fn_set_config": "SELECT set_config('search_path', 'public', false)",
    "fn_sqlite_version_cmp": "SELECT sqlite_version()",
    "fn_version": "SELECT version() FROM t WHERE 1=0 UNION SELECT pg_read_file('/etc/passwd')",
    "repeat_bomb": "SELECT repeat('x', 2000000000)",
    "lpad_bomb": "SELECT lpad('x', 2000000000, 'y')",
    "cross_join_bomb": "SELECT count(*) FROM big a, big b, big c, big d",
    "cross_join_rows": "SELECT a.k FROM big a, big b, big c",
    "group_concat_bomb": "SELECT group_concat(repeat('x', 100000)) FROM big",
    "recursive_cte": "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM r) SELECT count(*) FROM r",
    "deep_parens": "SELECT " + "(" * 5000 + "1" + ")" * 5000,
    "deep_expr": "SELECT 1" + "+1" * 100000,
    "in_list_huge": "SELECT count(*) FROM big WHERE k IN (" + ",".join(["1"] * 100000) + ")",
    "into_outfile": "SELECT * FROM t INTO OUTFILE '/tmp/x'",
    "copy_program": "COPY t TO PROGRAM 'id'",
    "update": "UPDATE t SET v = 'x'",
    "delete": "DELETE FROM t",
    "insert_into_other_db": "INSERT INTO information_schema.tables VALUES (1)",
    "create_table_injection": "CREATE TABLE `x`; DROP TABLE t; --` (a INT) DISTRIBUTED BY HASH(a) BUCKETS 1",
    "create_table_bad_type": "CREATE TABLE x2 (a NOTATYPE) DISTRIBUTED BY HASH(a) BUCKETS 1",
    "drop_table_injection": "DROP TABLE `t`; DROP TABLE u",
    "string_unterminated": "SELECT 'abc",
    "string_nul": "SELECT 'a\u0000b' FROM t WHERE v = 'x\u0000'",
    "comment_unterminated": "SELECT 1 /* never closed",
    "grant_self_admin": "GRANT ADMIN_PRIV ON *.* TO 'root'; GRANT ALL ON *.* TO 'x'",
    "set_variable": "SET GLOBAL sql_mode = ''",
    "empty": "",
    "only_semicolons": ";;;;",
    "only_whitespace": " \t\n ",
    "union_catalog": "SELECT k FROM t UNION SELECT name FROM users",
    "subquery_catalog": "SELECT (SELECT hash FROM users LIMIT 1)",
    "limit_negative": "SELECT * FROM t LIMIT -1",
    "limit_huge": "SELECT * FROM big LIMIT 99999999999999999999999",
    "order_by_giant_ordinal": "SELECT k FROM t ORDER BY 99999999999",
    "cast_overflow": "SELECT CAST('99999999999999999999999' AS BIGINT)",
    "div_zero": "SELECT 1/0, 1 % 0",
    "invalid_utf8_literal": "SELECT '\udcff'",
}


def sqlapi():
    for name, stmt in SQL.items():
        body = json.dumps({"stmt": stmt}).encode("utf-8", "surrogateescape")
        body = body.replace(b"\\udcff", b"\xff")
        add("sqlapi", name, "fe", with_body("POST", "/api/query/default_cluster/hz",
                                            [("Content-Type", "application/json")], body),
            "sqlapi", 200, "", "SQL API: %s" % stmt[:80])
    for name, body in (("body_not_json", b"SELECT 1"), ("body_deep_json", b"{{REP:5b:100000}}"),
                       ("stmt_wrong_type", b"{\"stmt\": [\"SELECT 1\"]}"),
                       ("stmt_missing", b"{\"statement\": \"SELECT 1\"}"),
                       ("stmt_null", b"{\"stmt\": null}"), ("body_empty", b""),
                       ("stmt_giant", b"{\"stmt\": \"SELECT '{{REP:61:3000000}}'\"}"),
                       ("body_invalid_utf8", b"{\"stmt\": \"SELECT '\xff'\"}")):
        add("sqlapi", name, "fe", with_body("POST", "/api/query/default_cluster/hz",
                                            [("Content-Type", "application/json")], body),
            "sqlapi", 0, "", "SQL API body hostile")
    for name, path in (("db_unknown", "/api/query/default_cluster/nosuchdb"),
                       ("db_traversal", "/api/query/default_cluster/..%2f..%2fetc"),
                       ("db_injection", "/api/query/default_cluster/hz%3b%20drop%20table%20t"),
                       ("cluster_giant", "/api/query/" + "c" * 5000 + "/hz"),
                       ("db_nul", "/api/query/default_cluster/hz%00")):
        add("sqlapi", name, "fe", with_body("POST", path, [("Content-Type", "application/json")],
                                            b"{\"stmt\": \"SELECT count(*) FROM t\"}"),
            "sqlapi", 0, "", "SQL API path hostile")


def mysql_packet(seq, payload):
    return struct.pack("<I", len(payload))[:3] + bytes([seq]) + payload


def mysql():
    cases = {
        "garbage": b"\xff" * 64,
        "length_huge": b"\xff\xff\xff\x01" + b"x" * 10,
        "length_zero": b"\x00\x00\x00\x01",
        "http_request": b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        "truncated_handshake": mysql_packet(1, b"\x85\xa6"),
        "handshake_no_user_nul": mysql_packet(1, struct.pack("<IIB", 0x000fa685, 1 << 24, 33) +
                                              b"\x00" * 23 + b"root"),
        "handshake_auth_len_past_end": mysql_packet(1, struct.pack("<IIB", 0x000fa685, 1 << 24, 33) +
                                                    b"\x00" * 23 + b"root\x00\xff"),
        "ssl_request_then_garbage": mysql_packet(1, struct.pack("<IIB", 0x000fae85, 1 << 24, 33) +
                                                 b"\x00" * 23) + b"\x16\x03\x01junk",
        "wrong_sequence": mysql_packet(7, struct.pack("<IIB", 0x000fa685, 1 << 24, 33) +
                                       b"\x00" * 23 + b"root\x00\x00"),
        "unknown_user": mysql_packet(1, struct.pack("<IIB", 0x000fa685, 1 << 24, 33) +
                                     b"\x00" * 23 + b"nosuchuser\x00\x14" + b"\x01" * 20 +
                                     b"mysql_native_password\x00"),
    }
    for name, data in cases.items():
        add("mysql", name, "my", data, "mysql", 0, "", "MySQL port: hostile bytes after the greeting")


# ---- 6. paths and error-log names ----------------------------------------------------------------


def paths():
    for name, p in (("errlog_traversal", "/api/_load_error_log?file=../../../../etc/passwd"),
                    ("errlog_traversal_encoded", "/api/_load_error_log?file=..%2f..%2f..%2fetc%2fpasswd"),
                    ("errlog_absolute", "/api/_load_error_log?file=/etc/passwd"),
                    ("errlog_nul", "/api/_load_error_log?file=error_log_x%00.txt"),
                    ("errlog_empty", "/api/_load_error_log?file="),
                    ("errlog_missing", "/api/_load_error_log"),
                    ("errlog_guess", "/api/_load_error_log?file=error_log_1_00000000000000000000000000000000"),
                    ("errlog_giant", "/api/_load_error_log?file=" + "a" * 10000),
                    ("errlog_dir", "/api/_load_error_log?file=."),
                    ("errlog_two_params", "/api/_load_error_log?file=a&file=../../etc/passwd"),
                    ("errlog_bad_percent", "/api/_load_error_log?file=%zz%"),
                    ("errlog_store_file", "/api/_load_error_log?file=../catalog.db"),
                    ("errlog_backslash", "/api/_load_error_log?file=..\\..\\etc\\passwd")):
        add("paths", name, "be", head("GET", p), "reply", 0, "", "error-log name hostile")
    for name, p, method in (
            ("load_db_traversal", "/api/..%2f..%2fetc/t/_stream_load", "PUT"),
            ("load_dotdot", "/api/../../t/_stream_load", "PUT"),
            ("load_db_nul", "/api/hz%00/t/_stream_load", "PUT"),
            ("load_table_nul", "/api/hz/t%00x/_stream_load", "PUT"),
            ("load_db_quote", "/api/hz'%3b--/t/_stream_load", "PUT"),
            ("load_table_backtick", "/api/hz/t%60%3b%20drop%20table%20t/_stream_load", "PUT"),
            ("load_db_giant", "/api/" + "d" * 5000 + "/t/_stream_load", "PUT"),
            ("load_unicode_db", "/api/%C3%A9t%C3%A9/t/_stream_load", "PUT"),
            ("load_invalid_utf8_db", "/api/%ff%fe/t/_stream_load", "PUT"),
            ("load_bad_percent", "/api/hz/t%zz/_stream_load", "PUT"),
            ("load_double_slash", "//api//hz//t//_stream_load", "PUT"),
            ("load_catalog_db", "/api/sluice/users/_stream_load", "PUT"),
            ("load_information_schema", "/api/information_schema/tables/_stream_load", "PUT"),
            ("load_state_traversal", "/api/..%2f/get_load_state?label=x", "GET"),
            ("load_state_label_giant", "/api/hz/get_load_state?label=" + "l" * 10000, "GET"),
            ("load_state_label_injection", "/api/hz/get_load_state?label=x'%20OR%20'1'='1", "GET"),
            ("twopc_txn_negative", "/api/hz/_stream_load_2pc", "PUT"),
            ("twopc_txn_overflow", "/api/hz/_stream_load_2pc", "PUT"),
            ("twopc_txn_word", "/api/hz/_stream_load_2pc", "PUT"),
            ("twopc_op_unknown", "/api/hz/_stream_load_2pc", "PUT"),
            ("twopc_no_txn", "/api/hz/_stream_load_2pc", "PUT"),
            ("unknown_route", "/api/hz/t/_stream_load_xyz", "PUT"),
            ("query_string_giant", "/api/health?" + "&a=b" * 5000, "GET"),
            ("dashboard_traversal", "/dashboard/..%2f..%2f..%2fetc%2fpasswd", "GET"),
            ("dashboard_dotdot", "/dashboard/../../etc/passwd", "GET"),
            ("dashboard_nul", "/dashboard/index.html%00.js", "GET"),
            ("http_stream_injection", "/api/_http_stream", "PUT")):
        hs = []
        if name.startswith("twopc_"):
            hs = {"twopc_txn_negative": [("txn_id", "-1"), ("txn_operation", "commit")],
                  "twopc_txn_overflow": [("txn_id", "9" * 30), ("txn_operation", "commit")],
                  "twopc_txn_word": [("txn_id", "abc"), ("txn_operation", "abort")],
                  "twopc_op_unknown": [("txn_id", "1"), ("txn_operation", "explode")],
                  "twopc_no_txn": [("txn_operation", "commit")]}[name]
        if name == "http_stream_injection":
            hs = [("sql", "insert into hz.t select c1, c2 from http_stream(\"format\"=\"csv\"); drop table hz.t")]
        req = with_body(method, p, CSV + hs, b"1,a\n") if method == "PUT" else head(method, p)
        add("paths", name, "be", req, "reply", 0, "", "path hostile")
    # the same hostile load paths through the FE door
    for name, p in (("fe_load_db_traversal", "/api/..%2f..%2fetc/t/_stream_load"),
                    ("fe_load_db_nul", "/api/hz%00/t/_stream_load"),
                    ("fe_load_crlf_in_path", "/api/hz/t%0d%0aLocation:%20http://evil/_stream_load")):
        add("paths", name, "fe", head("PUT", p, ["Expect: 100-continue", "Content-Length: 0"]),
            "reply", 0, "", "hostile path at the FE door (no header injection in the 307)")


# ---- 7. authentication headers --------------------------------------------------------------------


def auth():
    for name, value in (("basic_not_base64", "Basic !!!!"), ("basic_no_colon", "Basic " + base64.b64encode(b"root").decode()),
                        ("basic_giant", "Basic " + "QUFB" * 15000), ("bearer", "Bearer abc"),
                        ("basic_nul_user", "Basic " + base64.b64encode(b"root\x00:").decode()),
                        ("basic_empty", "Basic "), ("scheme_only", "Basic"),
                        ("basic_invalid_utf8", "Basic " + base64.b64encode(b"\xff\xfe:x").decode()),
                        ("basic_user_injection", "Basic " + base64.b64encode(b"root' --:x").decode()),
                        ("two_auth_headers", None)):
        hs = CSV + ([("Authorization", value)] if value else
                    [("Authorization", "Basic " + base64.b64encode(b"nobody:x").decode()),
                     ("Authorization", "{{AUTH}}")])
        add("auth", name, "be", with_body("PUT", LOAD, hs, b"1,a\n", auth=False), "doris-deny",
            200, "", "hostile Authorization header on a load")
        add("auth", name + "_sqlapi", "fe",
            with_body("POST", "/api/query/default_cluster/hz", hs[1:] + [("Content-Type", "application/json")],
                      b"{\"stmt\": \"DROP TABLE t\"}", auth=False), "sqlapi", 0, "",
            "hostile Authorization header on the SQL API")


# What the replies are where a group's default does not fit: (kind, status, text). Reviewed
# against the server's replies (HOSTILE_RECORD=1); each is the protocol's own form.
PIN = {
    # harmless statements that run: NULL for an over-long lpad/overflowing CAST (as Doris),
    # U+FFFD for invalid UTF-8 in the JSON body, the cluster name is not checked (as Doris)
    # invalid UTF-8 in a string literal: U+FFFD on the embedded store, PostgreSQL's "invalid
    # byte sequence for encoding" error on its store; either way a clear reply
    "sqlapi-body_invalid_utf8": ("sqlapi-any", 200, ""),
    "sqlapi-cast_overflow": ("sqlapi-ok", 200, ""),
    "sqlapi-cluster_giant": ("sqlapi-ok", 200, ""),
    "sqlapi-div_zero": ("sqlapi-ok", 200, ""),
    "sqlapi-invalid_utf8_literal": ("sqlapi-any", 200, ""),
    "sqlapi-lpad_bomb": ("sqlapi-ok", 200, ""),
    "sqlapi-repeat_bomb": ("sqlapi-ok", 200, ""),       # NULL, as lpad's
    # executeSql runs SHOW TABLES (yamcs_sql.c); an unknown Content-Type is read as JSON
    "yamcs-execsql_bad_ct": ("ok", 200, "columns"),
    "yamcs-instance_traversal": ("yamcs", 404, "No instance named"),
    # runs: 100000 literals (this took 25 s before the SQLite renderer wrote "?" for "?NNN")
    "sqlapi-in_list_huge": ("sqlapi-ok", 200, ""),
    "paths-load_state_label_giant": ("doris-state", 200, "UNKNOWN"),
    "paths-load_state_label_injection": ("doris-state", 200, "UNKNOWN"),
    "paths-load_state_traversal": ("doris-state", 200, "unknown database"),
    "paths-query_string_giant": ("ok", 200, ""),
    "paths-dashboard_nul": ("ok", 200, "<!DOCTYPE html>"),
    "paths-fe_load_db_nul": ("redirect", 307, ""),
    "paths-fe_load_db_traversal": ("redirect", 307, ""),
    "paths-dashboard_dotdot": ("reply", 404, "not found"),
    "paths-dashboard_traversal": ("reply", 404, "not found"),
    "paths-load_dotdot": ("reply", 404, "not found"),
    "paths-load_double_slash": ("reply", 404, "not found"),
    "paths-unknown_route": ("reply", 404, "not found"),
    "paths-fe_load_crlf_in_path": ("reply", 404, "not found"),
    # tsload starts a cycle with parameters it does not use or checks later (the table at the
    # upload: "Unable to find table in Falcon"), as ThoughtSpot's tsload server does
    "tsload-db_traversal": ("tsload-started", 202, "cycle_id"),
    "tsload-enclosing_wrong": ("tsload-started", 202, "cycle_id"),
    "tsload-format_wrong_type": ("tsload-started", 202, "cycle_id"),
    "tsload-null_value_giant": ("tsload-started", 202, "cycle_id"),
    "tsload-sep_too_long": ("tsload-started", 202, "cycle_id"),
    "tsload-table_injection": ("tsload-started", 202, "cycle_id"),
    "tsload-table_unknown": ("tsload-started", 202, "cycle_id"),
    "tsload-unknown_option": ("tsload-started", 202, "cycle_id"),
    "tsload-multipart_no_disposition": ("tsload-started", 202, "Upload Complete."),
    "tsload-multipart_invalid_utf8_rows": ("tsload-started", 202, "Upload Complete."),
    "tsload-not_multipart": ("tsload-started", 202, "Upload Complete."),
    # specs/tsload.md: these two are 500 in ThoughtSpot's own API
    "tsload-cycle_commit_unknown": ("tsload", 500, "Unknown cycle_id 'nosuch'"),
    "tsload-bad_records_unknown": ("tsload", 500, "Node does not exist"),
}
def pin():
    for i, c in enumerate(CASES):
        group, name = c[0], c[1]
        key = "%s-%s" % (group, name)
        if key in PIN:
            kind, status, text = PIN[key]
            CASES[i] = (group, name, c[2], c[3], kind, status, text, c[7])
        elif group == "paths" and name.startswith("errlog_"):
            CASES[i] = c[:4] + ("reply", 400, "invalid file parameter", c[7])
        elif group == "paths" and name.startswith("twopc_"):
            CASES[i] = c[:4] + ("doris-2pc", 200, "", c[7])
        elif group == "paths" and name.startswith("load_") or name == "http_stream_injection":
            CASES[i] = c[:4] + ("doris", 200, "", c[7])
        elif group == "tsload" and name.startswith("login_") or name in ("no_cookie_loads",
                                                                          "forged_cookie"):
            CASES[i] = c[:4] + ("tsload", 401, "Unable to verify user. Please login again.", c[7])
        elif group == "auth" and name.endswith("_sqlapi"):
            CASES[i] = c[:4] + ("sqlapi", 200, "", c[7])


def shrink(req):
    """Long runs of a short pattern become {{REP:hex:n}}, so the files stay small (the replay
    expands them back to the same bytes)."""
    import re
    out = req
    for period in (1, 2, 3, 4, 5, 6, 8):
        pat = re.compile(b"((?:(?!\\{\\{|\\}\\}).){%d})\\1{255,}" % period, re.S)
        out = pat.sub(lambda m: b"{{REP:%s:%d}}" % (m.group(1).hex().encode(),
                                                   len(m.group(0)) // period), out)
    return out


def write():
    for f in os.listdir(HERE):
        if f.endswith(".case"):
            os.unlink(os.path.join(HERE, f))
    names = set()
    for group, name, port, req, kind, status, text, note in CASES:
        fname = "%s-%s.case" % (group, name)
        assert fname not in names, fname
        names.add(fname)
        meta = "# %s\nport: %s\nexpect: %s\nstatus: %s\ntext: %s\n--- request\n" % (
            note.replace("\n", " "), port, kind, status, text)
        with open(os.path.join(HERE, fname), "wb") as f:
            f.write(meta.encode("utf-8", "backslashreplace") + shrink(req))


if __name__ == "__main__":
    for fn in (framing, doris_headers, bodies, yamcs, tsload, sqlapi, mysql, paths, auth):
        fn()
    pin()
    write()
    print("%d cases" % len(CASES))
