"""Expected contents of the columnar corpora (shared/conformance/COLUMNAR.md) as sluice loads
them: a Doris column type per field and the value each row holds after the load.

  parquet  tests/data/columnar/parquet_expected.json.gz: DuckDB's reading of each file
           (gen_parquet_expected.mjs beside it), types mapped to Doris types
  orc      orc/examples/expected/<name>.jsn.gz (one JSON object per row, written by ORC's
           Java tools); column types inferred from the values
  arrow    the Arrow integration JSON beside each stream (schema + batches + dictionaries)

Each case is {"cols": [(name, doris_type, kind)], "rows": [[value...]]} where kind says how
to compare (see same()). Loads use timezone UTC, so UTC-adjusted timestamps keep their text.
"""
import base64
import datetime
import decimal
import gzip
import json
import math
import os
import re
import struct

D = decimal.Decimal
decimal.getcontext().prec = 100  # decimal256 values have up to 76 digits
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
SHARED = os.path.join(ROOT, "..", "shared", "conformance")
PARQUET_DIR = os.path.join(SHARED, "parquet", "data")
ORC_DIR = os.path.join(SHARED, "orc", "examples")
ARROW_DIR = os.path.join(SHARED, "arrow", "data", "arrow-ipc-stream", "integration")

TS_RE = re.compile(r"^(-?\d{4,})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.(\d+))?$")
DATE_RE = re.compile(r"^(-?\d{4,})-(\d\d)-(\d\d)$")


# ---- value forms after a load ---------------------------------------------------------------

def datetime6(text):
    """DATETIME(6) value of a timestamp text: fraction rounded to microseconds (as the mapper
    rounds), None outside 0000-01-01 .. 9999-12-31 (the load stores NULL)."""
    m = TS_RE.match(text)
    if not m or len(m.group(1)) != 4 or m.group(1).startswith("-"):
        return None
    y, mo, d, h, mi, s = (int(m.group(i)) for i in range(1, 7))
    frac = (m.group(7) or "") + "000000000"
    us = int(frac[:6]) + (1 if frac[6] >= "5" else 0)
    try:
        t = datetime.datetime(max(y, 1), mo, d, h, mi, s) + datetime.timedelta(microseconds=us)
    except (ValueError, OverflowError):
        return None
    if y == 0 or t.year > 9999:
        return None
    return "%04d-%02d-%02d %02d:%02d:%02d.%06d" % (t.year, t.month, t.day, t.hour, t.minute,
                                                   t.second, t.microsecond)  # as selected


def date_value(text):
    m = DATE_RE.match(text)
    if not m or len(m.group(1)) != 4 or m.group(1).startswith("-"):
        return None
    return text


def days_to_date(days):
    try:
        return (datetime.date(1970, 1, 1) + datetime.timedelta(days=days)).isoformat()
    except OverflowError:
        return None


def ts_text(secs, nanos):
    """Text of a UTC time from seconds and nanoseconds (any range), as the decoder writes it."""
    days, sod = divmod(secs, 86400)
    try:
        d = datetime.date(1970, 1, 1) + datetime.timedelta(days=days)
    except OverflowError:
        return "0000-00-00 00:00:00"  # out of range: loads as NULL
    t = "%s %02d:%02d:%02d" % (d.isoformat(), sod // 3600, sod // 60 % 60, sod % 60)
    if nanos:
        t += ".%09d" % nanos if nanos % 1000 else ".%06d" % (nanos // 1000)
    return t


def time_text(nanos_of_day):
    s, ns = divmod(nanos_of_day, 10 ** 9)
    t = "%02d:%02d:%02d" % (s // 3600, s // 60 % 60, s % 60)
    if ns:
        t += ".%09d" % ns if ns % 1000 else ".%06d" % (ns // 1000)
    return t


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def same(kind, got, exp):
    """Does the loaded value `got` (from the SQL API, floats as Decimal) match `exp`?"""
    if exp is None or got is None:
        return exp is None and got is None
    if kind == "float":
        if isinstance(exp, str):
            return got == exp
        return math.isclose(float(got), exp, rel_tol=1e-6, abs_tol=1e-37)
    if kind == "double":
        if isinstance(exp, str):
            return got == exp
        return float(got) == exp or math.isclose(float(got), exp, rel_tol=1e-15)
    if kind in ("decimal", "numtext"):
        try:
            if D(str(got)) == D(str(exp)):
                return True
            digits = len(D(str(exp)).normalize().as_tuple().digits)
            # ORC's dump prints FLOAT values with 7 significant digits
            return kind == "numtext" and digits <= 7 and float(
                "%.*g" % (digits, f32(float(got)))) == float(exp)
        except decimal.InvalidOperation:
            return False
    if kind == "int":
        return int(got) == int(exp)
    if kind == "bool":
        return bool(got) == exp
    if kind == "json":
        try:
            return jsame(json.loads(got, parse_float=D), exp)
        except (ValueError, TypeError):
            return False
    if kind == "bytes":
        return fffd(got) == fffd(exp)
    if kind == "time":
        return frac_trim(got) == frac_trim(exp)
    return got == exp


def frac_trim(t):
    return t.rstrip("0").rstrip(".") if "." in t else t


def fffd(s):
    return re.sub("\ufffd+", "\ufffd", s)


def jsame(a, b):
    if isinstance(b, dict):
        return isinstance(a, dict) and set(a) == set(b) and all(jsame(a[k], b[k]) for k in b)
    if isinstance(b, list):
        if a == {} and b == []:  # an empty ORC map is dumped as []
            return True
        return isinstance(a, list) and len(a) == len(b) and all(jsame(x, y) for x, y in zip(a, b))
    if isinstance(b, bool) or b is None:
        return a == b
    if isinstance(b, (int, float, D)):
        if isinstance(a, str):  # nan / inf are strings in JSON
            return isinstance(b, float) and not math.isfinite(b) and a.lower().startswith(
                str(b).lower()[:3].lstrip("-")) or (a.lower() == "-inf" and b == float("-inf"))
        if isinstance(a, bool) or not isinstance(a, (int, float, D)):
            return False
        return D(str(a)) == D(str(b)) or math.isclose(float(a), float(b), rel_tol=1e-6)
    if isinstance(b, str) and isinstance(a, str):
        if TS_RE.match(a) and TS_RE.match(b):
            return ts_norm(a) == ts_norm(b)
        return fffd(a) == fffd(b)
    return a == b


def canon_json(v):
    """Text of a JSON value that is equal for equal values (a sort key)."""
    if isinstance(v, dict):
        return "{" + ",".join("%s:%s" % (k, canon_json(v[k])) for k in sorted(v)) + "}"
    if isinstance(v, list):
        return "[" + ",".join(canon_json(x) for x in v) + "]"
    if v is None or isinstance(v, bool):
        return str(v)
    if isinstance(v, (int, float, D)):
        return "%.5g" % (float(v) + 0.0)
    if isinstance(v, str) and TS_RE.match(v):
        return ts_norm(v)
    return fffd(str(v))


def ts_norm(t):
    m = TS_RE.match(t)
    return m.group(0)[:19] + "." + ((m.group(7) or "") + "000000000")[:9]


# ---- parquet ------------------------------------------------------------------------------------

def fit_decimal(typ, v):
    """A decimal value as a DECIMAL(p,s) column keeps it: NULL when it has too many digits."""
    m = re.match(r"DECIMAL\((\d+),(\d+)\)", typ)
    if v is None or not m or isinstance(v, str):
        return v
    p, s = int(m.group(1)), int(m.group(2))
    q = D(v).quantize(D(1).scaleb(-s), rounding=decimal.ROUND_HALF_UP)
    return q if len(q.as_tuple().digits) <= p or q == 0 else None


def parquet_type(t):
    """Doris type and compare kind of a DuckDB type."""
    if re.search(r"\[|STRUCT|MAP|UNION", t):
        return "STRING", "json"
    m = re.match(r"DECIMAL\((\d+),(\d+)\)", t)
    if m:
        p, s = int(m.group(1)), int(m.group(2))
        return ("DECIMAL(%d,%d)" % (p, s), "decimal") if p <= 38 else ("STRING", "numtext")
    table = {"BOOLEAN": ("BOOLEAN", "bool"), "TINYINT": ("TINYINT", "int"),
             "SMALLINT": ("SMALLINT", "int"), "INTEGER": ("INT", "int"),
             "BIGINT": ("BIGINT", "int"), "UTINYINT": ("SMALLINT", "int"),
             "USMALLINT": ("INT", "int"), "UINTEGER": ("BIGINT", "int"),
             "UBIGINT": ("LARGEINT", "int"), "HUGEINT": ("LARGEINT", "int"),
             "FLOAT": ("FLOAT", "float"), "DOUBLE": ("DOUBLE", "double"),
             "DATE": ("DATE", "date"), "BLOB": ("STRING", "bytes"),
             "VARCHAR": ("STRING", "text"), "UUID": ("STRING", "text")}
    if t in table:
        return table[t]
    if t.startswith("TIMESTAMP"):
        return "DATETIME(6)", "datetime"
    if t.startswith("TIME"):
        return "STRING", "time"
    return "STRING", "text"


def parquet_value(kind, text):
    if text is None:
        return None
    if kind == "bool":
        return text == "true"
    if kind == "int":
        return int(text)
    if kind in ("float", "double"):
        v = float(text)
        if math.isnan(v):
            return "NaN"  # kept as NaN by both stores, shown as Doris (Java) prints it
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        return f32(v) if kind == "float" else v
    if kind in ("decimal", "numtext"):
        return D(text)
    if kind == "date":
        return date_value(text)
    if kind == "datetime":
        return datetime6(re.sub(r"[+-]\d\d(:\d\d)?$", "", text))
    if kind == "bytes":
        return bytes.fromhex(text).decode("utf-8", "replace")
    if kind == "json":
        return json.loads(text, parse_float=D)
    return text


def parquet_cases():
    """{file: case} for every .parquet file; files DuckDB cannot read take the expectation of
    a file with the same data, or a check of their own (see the notes)."""
    with gzip.open(os.path.join(ROOT, "tests", "data", "columnar", "parquet_expected.json.gz"),
                   "rt") as f:
        exp = json.load(f)
    same_data = {"hadoop_lz4_compressed.parquet": "lz4_raw_compressed.parquet",
                 "non_hadoop_lz4_compressed.parquet": "lz4_raw_compressed.parquet",
                 "hadoop_lz4_compressed_larger.parquet": "lz4_raw_compressed_larger.parquet"}
    cases = {}
    for name in sorted(os.listdir(PARQUET_DIR)):
        if not name.endswith(".parquet"):
            continue
        e = exp.get(same_data.get(name, name))
        if e is None or "error" in e:
            cases[name] = None  # special: see test_columnar.py
            continue
        cols = [(n,) + parquet_type(t) for n, t in e["columns"]]
        rows = [[parquet_value(c[2], v) for c, v in zip(cols, r)] for r in e["rows"]]
        cases[name] = {"cols": cols, "rows": rows}
    return cases


# ---- orc ------------------------------------------------------------------------------------------

def orc_norm(v):
    """ORC's JSON dump -> the JSON sluice writes: maps as objects, unions as their value."""
    if isinstance(v, dict):
        if set(v) == {"tag", "value"}:
            return orc_norm(v["value"])
        return {k: orc_norm(x) for k, x in v.items()}
    if isinstance(v, list):
        if v and all(isinstance(x, dict) and set(x) == {"key", "value"} for x in v):
            return {str(x["key"]): orc_norm(x["value"]) for x in v}
        return [orc_norm(x) for x in v]
    return v


def orc_kind(values):
    vs = [v for v in values if v is not None]
    if not vs:
        return "STRING", "text"
    if all(isinstance(v, bool) for v in vs):
        return "BOOLEAN", "bool"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in vs):
        return "BIGINT", "int"
    if all(isinstance(v, (int, D)) and not isinstance(v, bool) for v in vs):
        return "STRING", "numtext"  # decimals, floats: compared as exact numbers
    if all(isinstance(v, str) and TS_RE.match(v) for v in vs):
        return "DATETIME(6)", "datetime"
    if all(isinstance(v, str) and DATE_RE.match(v) for v in vs):
        return "DATE", "date"
    if all(isinstance(v, str) for v in vs):
        return "STRING", "text"
    if all(isinstance(v, list) and all(isinstance(b, int) for b in v) for v in vs) and any(
            vs) and not any(isinstance(v, (dict, str)) for v in vs):
        return "STRING", "binary"
    return "STRING", "json"


def orc_case(name):
    path = os.path.join(ORC_DIR, "expected", name[:-4] + ".jsn.gz")
    with gzip.open(path, "rt") as f:
        docs = [json.loads(line, parse_float=D) for line in f if line.strip()]
    if docs and not isinstance(docs[0], dict):
        docs = [{"_col0": d} for d in docs]
    names = list(docs[0].keys()) if docs else []
    cols = []
    for n in names:
        t, k = orc_kind([d.get(n) for d in docs])
        cols.append((n, t, k))
    rows = []
    for d in docs:
        row = []
        for n, t, k in cols:
            v = d.get(n)
            if v is None:
                row.append(None)
            elif k == "datetime":
                row.append(datetime6(v))
            elif k == "binary":
                row.append(bytes(v).decode("utf-8", "replace"))
            elif k == "json":
                row.append(orc_norm(v))
            else:
                row.append(v)
        rows.append(row)
    cols = [(n, t, "bytes" if k == "binary" else k) for n, t, k in cols]
    return {"cols": cols, "rows": rows}


# ---- arrow ----------------------------------------------------------------------------------------

UNIT_NS = {"SECOND": 10 ** 9, "MILLISECOND": 10 ** 6, "MICROSECOND": 10 ** 3, "NANOSECOND": 1}


def arrow_type(field):
    """Doris type and compare kind of an Arrow field."""
    t = field["type"]
    n = t["name"]
    if n in ("list", "largelist", "fixedsizelist", "struct", "map", "union", "listview",
             "largelistview"):
        return "STRING", "json"
    if n == "int":
        w, sg = t["bitWidth"], t["isSigned"]
        if sg:
            return {8: "TINYINT", 16: "SMALLINT", 32: "INT", 64: "BIGINT"}[w], "int"
        return {8: "SMALLINT", 16: "INT", 32: "BIGINT", 64: "LARGEINT"}[w], "int"
    if n == "floatingpoint":
        return ("DOUBLE", "double") if t["precision"] == "DOUBLE" else ("FLOAT", "float")
    if n == "bool":
        return "BOOLEAN", "bool"
    if n == "decimal":
        p, s = t["precision"], t["scale"]
        return ("DECIMAL(%d,%d)" % (p, s), "decimal") if p <= 38 else ("STRING", "numtext")
    if n == "date":
        return "DATE", "date"
    if n == "timestamp":
        return "DATETIME(6)", "datetime"
    if n == "time":
        return "STRING", "time"
    if n == "duration":
        return "BIGINT", "int"
    if n in ("binary", "largebinary", "fixedsizebinary", "binaryview"):
        return "STRING", "bytes"
    if n == "interval":
        return ("INT", "int") if t["unit"] == "YEAR_MONTH" else ("STRING", "json")
    return "STRING", "text"


def arrow_value(field, col, i, dicts):
    """The Python value of element i of a JSON column (None for NULL): the decoder's text
    form for scalars, JSON values for nested ones."""
    if "VALIDITY" in col and not col["VALIDITY"][i]:
        return None
    if field.get("dictionary"):
        k = int(col["DATA"][i])
        dcol, dfield = dicts[field["dictionary"]["id"]]
        return arrow_value(dfield, dcol, k, dicts)
    t = field["type"]
    n = t["name"]
    kids = field.get("children", [])
    if n == "null":
        return None
    if n in ("list", "largelist", "map"):
        s, e = int(col["OFFSET"][i]), int(col["OFFSET"][i + 1])
        vals = [arrow_value(kids[0], col["children"][0], j, dicts) for j in range(s, e)]
        if n == "map":
            ent = kids[0]["children"]
            return {str(json_scalar(ent[0], v[ent[0]["name"]])): v[ent[1]["name"]] for v in vals}
        return vals
    if n == "fixedsizelist":
        w = t["listSize"]
        return [arrow_value(kids[0], col["children"][0], j, dicts) for j in range(i * w, i * w + w)]
    if n == "struct":
        return {k["name"]: json_scalar(k, arrow_value(k, c, i, dicts))
                for k, c in zip(kids, col["children"])}
    if n == "union":
        tid = col["TYPE_ID"][i]
        ids = t.get("typeIds") or list(range(len(kids)))
        c = ids.index(tid)
        j = int(col["OFFSET"][i]) if "OFFSET" in col else i
        return arrow_value(kids[c], col["children"][c], j, dicts)
    v = col["DATA"][i]
    if n == "int" or n == "duration":
        return int(v)
    if n == "floatingpoint":
        return float(v)
    if n == "bool":
        return bool(v)
    if n == "decimal":
        return D(int(v)).scaleb(-t["scale"])
    if n == "date":
        return days_to_date(int(v) if t["unit"] == "DAY" else int(v) // 86400000)
    if n == "timestamp":
        ns = int(v) * UNIT_NS[t["unit"]]
        return ts_text(ns // 10 ** 9, ns % 10 ** 9)
    if n == "time":
        return time_text(int(v) * UNIT_NS[t["unit"]])
    if n in ("binary", "largebinary", "fixedsizebinary"):
        return bytes.fromhex(v).decode("utf-8", "replace")
    if n == "interval":
        if t["unit"] == "YEAR_MONTH":
            return int(v)
        if t["unit"] == "DAY_TIME":
            return {"days": v["days"], "milliseconds": v["milliseconds"]}
        return {"months": v["months"], "days": v["days"], "nanoseconds": int(v["nanoseconds"])}
    return v


def json_scalar(field, v):
    """A scalar as it appears inside sluice's JSON text (numbers stay numbers)."""
    return v


def arrow_case(path):
    with gzip.open(path[:-len(".stream")] + ".json.gz", "rt") as f:
        doc = json.load(f)
    fields = doc["schema"]["fields"]
    dict_fields = {}

    def find(fs):
        for f in fs:
            if f.get("dictionary"):
                dict_fields[f["dictionary"]["id"]] = dict(f, dictionary=None)
            find(f.get("children", []))
    find(fields)
    dicts = {d["id"]: (d["data"]["columns"][0], dict_fields[d["id"]])
             for d in doc.get("dictionaries", [])}
    cols = [(f["name"],) + arrow_type(f) for f in fields]
    rows = []
    for b in doc["batches"]:
        for i in range(b["count"]):
            row = []
            for (name, t, kind), f, c in zip(cols, fields, b["columns"]):
                v = arrow_value(f, c, i, dicts)
                row.append(fit_decimal(t, load_form(kind, v)))
            rows.append(row)
    return {"cols": cols, "rows": rows}


def load_form(kind, v):
    """A decoded value as the load stores it in a column of this kind."""
    if v is None:
        return None
    if kind == "datetime":
        return datetime6(v)
    if kind == "date":
        return date_value(v)
    if kind in ("float", "double"):
        if math.isnan(v):
            return None
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        return f32(v) if kind == "float" else v
    return v


def arrow_files():
    out = []
    for sub in sorted(os.listdir(ARROW_DIR)):
        for name in sorted(os.listdir(os.path.join(ARROW_DIR, sub))):
            if name.endswith(".stream"):
                out.append(os.path.join(sub, name))
    return out
