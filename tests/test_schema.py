"""The packaged schema is the binding spec, verbatim; keys and labels come from it."""
from __future__ import annotations

import json

from nianbao import schema
from nianbao.model import Report


def test_packaged_schema_is_the_spec(shared_dir):
    spec = json.loads((shared_dir / "spec" / "schema-2021.json").read_text(encoding="utf-8"))
    assert schema._raw() == spec


def test_paths_cover_every_cell():
    paths = schema.paths_2021()
    assert len(paths) == 10 + 25 * 7 + 15
    assert len(set(paths)) == len(paths)


def test_report_dict_has_every_key():
    d = Report(path="x").to_dict()
    for p in schema.paths_2021():
        t, a, b = p.split(".")
        assert b in d[t][a] and d[t][a][b] is None


def test_2019_rows():
    keys = [r.key for r in schema.APP_ROWS_2019]
    assert len(keys) == 23 and "other_processing" in keys and "other_no_correction" not in keys


def test_labels_for_messages():
    assert schema.label_of("applications.granted.natural_person") == "表三“（一）予以公开”行·自然人列"
    assert schema.row_title("denied_state_secret") == "（三）1.属于国家秘密"
    assert schema.label_of("review_litigation.review.total") == "表四“行政复议”·总计"
