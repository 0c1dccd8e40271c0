"""A strict reader of the Prometheus text exposition format (0.0.4), for the metrics tests.

parse(text) checks what a scraper relies on and returns {(name, frozenset(labels)): value}:
every line ends with a newline; one HELP and one TYPE line per family, before its samples; a
family's samples are together; names and label names are valid; label values are quoted with
only \\\\ \\" \\n escapes; histogram buckets are cumulative, in increasing le order, end with
le="+Inf", and that bucket equals _count.
"""
import math
import re

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r"[a-zA-Z_][a-zA-Z0-9_]*"
SAMPLE = re.compile(r"^(%s)(?:\{(.*)\})? (\S+)$" % NAME)


def _labels(text):
    out, i = {}, 0
    while i < len(text):
        m = re.match(r"(%s)=\"" % LABEL, text[i:])
        assert m, "bad label at %r" % text[i:]
        i += m.end()
        val = ""
        while text[i] != '"':
            if text[i] == "\\":
                nxt = text[i + 1]
                assert nxt in '\\"n', "bad escape \\%s" % nxt
                val += {"\\": "\\", '"': '"', "n": "\n"}[nxt]
                i += 2
            else:
                val += text[i]
                i += 1
        out[m.group(1)] = val
        i += 1
        if i < len(text):
            assert text[i] == ",", "expected , in %r" % text
            i += 1
    return out


def _value(s):
    if s in ("+Inf", "-Inf", "NaN"):
        return float(s.replace("Inf", "inf").replace("NaN", "nan"))
    return float(s)


def _family_of(name, types):
    for suffix in ("_bucket", "_sum", "_count"):
        base = name[:-len(suffix)]
        if name.endswith(suffix) and types.get(base) == "histogram":
            return base
    return name


def parse(text):
    assert text.endswith("\n"), "the last line must end with a newline"
    types, helps, samples, done, current = {}, set(), {}, set(), None
    for line in text[:-1].split("\n"):
        if line.startswith("# HELP "):
            name = line.split(" ", 3)[2]
            assert re.fullmatch(NAME, name) and name not in helps, line
            helps.add(name)
            continue
        if line.startswith("# TYPE "):
            _, _, name, typ = line.split(" ")
            assert name in helps and name not in types, "TYPE after HELP, once: " + line
            assert typ in ("counter", "gauge", "histogram", "summary", "untyped"), line
            types[name] = typ
            continue
        m = SAMPLE.match(line)
        assert m, "not a sample line: %r" % line
        fam = _family_of(m.group(1), types)
        assert fam in types, "sample before its TYPE: " + line
        if fam != current:
            assert fam not in done, "family %s is split" % fam
            if current:
                done.add(current)
            current = fam
        key = (m.group(1), frozenset(_labels(m.group(2) or "").items()))
        assert key not in samples, "duplicate sample " + line
        samples[key] = _value(m.group(3))
    _check_histograms(types, samples)
    return samples


def _check_histograms(types, samples):
    for fam, typ in types.items():
        if typ != "histogram":
            continue
        series = {}
        for (name, labels), v in samples.items():
            if name == fam + "_bucket":
                d = dict(labels)
                le = d.pop("le")
                series.setdefault(frozenset(d.items()), []).append((_value(le), v))
        for labels, buckets in series.items():
            les = [le for le, _ in buckets]
            assert les == sorted(les) and math.isinf(les[-1]), (fam, les)
            counts = [v for _, v in buckets]
            assert counts == sorted(counts), (fam, "buckets not cumulative", counts)
            assert samples[(fam + "_count", labels)] == counts[-1], fam
            assert (fam + "_sum", labels) in samples, fam


def value(samples, name, **labels):
    """A sample's value; 0 when absent (sparse families leave zero cells out)."""
    return samples.get((name, frozenset(labels.items())), 0.0)
