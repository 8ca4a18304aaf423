"""Charts: PNG/SVG by suffix, Chinese glyphs from a CJK font (never DejaVu fallback or tofu),
deterministic SVG, and the edge cases (empty data, zero-total group, truncated unit list)."""
from __future__ import annotations

import logging
import sys
import warnings

import pytest

from nianbao.errors import UsageError
from nianbao.outputs import charts

mpl_image = pytest.importorskip("matplotlib.image")

TREND = {"合计": [(2019, 1523), (2020, 1801), (2021, 2410), (2022, 2288)],
         "杭州市": [(2019, 620), (2020, 700), (2021, 1010), (2022, 980)],
         "宁波市": [(2020, 530), (2021, 600), (2022, 640)]}
OUTCOMES = [("2020", {"granted": 600, "部分公开": 120, "denied_state_secret": 5, "unable_not_held": 400,
                      "rejected_duplicate": 70, "other_no_correction": 30, "other_other": 20,
                      "handled_total": 1245}),
            ("2021", {}),
            ("2022", {"granted": 0, "partially_granted": 0})]
ERRORS = [(f"某某市某某区人民政府某某街道办事处第{i}单位", i % 7, i % 5) for i in range(45)]


def _draw(kind: str, out, **kw):
    if kind == "trend":
        return charts.trend_chart(kw.get("data", TREND), out, title="申请数趋势（浙江省）")
    if kind == "outcome":
        return charts.outcome_chart(kw.get("data", OUTCOMES), out, title="办理结果构成")
    return charts.error_chart(kw.get("data", ERRORS), out, title="各单位错误与警告", top=kw.get("top", 30))


@pytest.fixture
def font_log(caplog):
    """findfont logs at DEBUG which file it matched; a DejaVu match means Chinese would be tofu."""
    caplog.set_level(logging.DEBUG, logger="matplotlib.font_manager")
    return caplog


def _assert_clean(recorded, caplog):
    glyphs = [str(w.message) for w in recorded if "missing from font" in str(w.message)
              or "Glyph" in str(w.message)]
    assert not glyphs, glyphs
    messages = [r.getMessage() for r in caplog.records if r.name == "matplotlib.font_manager"]
    matches = [m.split(" to ", 1)[1] for m in messages if m.startswith("findfont: Matching") and " to " in m]
    assert not [m for m in matches if not m.startswith(charts.CJK_FAMILIES)], matches
    assert not [m for m in messages if "not found" in m or "Falling back" in m or "Failed" in m]


@pytest.mark.parametrize("kind", ["trend", "outcome", "errors"])
@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_chart_renders_with_cjk_font(kind, suffix, tmp_path, font_log):
    out = tmp_path / "sub" / f"{kind}{suffix}"
    with warnings.catch_warnings(record=True) as recorded:
        warnings.simplefilter("always")
        assert _draw(kind, out) == out
    _assert_clean(recorded, font_log)
    assert out.stat().st_size > 1000
    if suffix == ".png":
        img = mpl_image.imread(out)
        assert img.ndim == 3 and img.shape[0] > 500 and img.shape[1] >= 7 * charts.DPI
        assert img[..., :3].std() > 0.05  # not a blank page
    else:
        text = out.read_text(encoding="utf-8")
        assert text.startswith("<?xml") and "<dc:date>" not in text
        assert "<text" not in text  # glyphs are paths: no font needed on the viewer's machine


def test_png_size_follows_figure_size(tmp_path):
    out = tmp_path / "e.png"
    charts.error_chart(ERRORS[:3], out, title="三个单位")
    small = mpl_image.imread(out).shape
    charts.error_chart(ERRORS, out, title="三十个单位", top=30)
    big = mpl_image.imread(out).shape
    assert small[1] == big[1] == 10 * charts.DPI  # fixed width, no tight bbox cropping
    assert big[0] > 2.5 * small[0]  # height grows with the number of rows


@pytest.mark.parametrize("kind", ["trend", "outcome", "errors"])
def test_svg_is_deterministic(kind, tmp_path):
    a, b = tmp_path / "a.svg", tmp_path / "b.svg"
    _draw(kind, a)
    _draw(kind, b)
    assert a.read_bytes() == b.read_bytes()


@pytest.mark.parametrize("kind", ["trend", "outcome", "errors"])
def test_empty_data_says_so(kind, tmp_path, monkeypatch):
    said = []
    real = charts._no_data
    monkeypatch.setattr(charts, "_no_data", lambda fig, title: (said.append(title), real(fig, title)))
    empty = {"trend": {}, "outcome": [], "errors": []}[kind]
    for suffix in (".png", ".svg"):
        _draw(kind, tmp_path / f"empty{suffix}", data=empty)
    assert len(said) == 2 and charts.NO_DATA == "没有数据"
    assert mpl_image.imread(tmp_path / "empty.png")[..., :3].std() > 0.01
    if kind == "trend":  # series whose points are all missing count as empty too
        charts.trend_chart({"合计": []}, tmp_path / "none.png", title="x")
        assert len(said) == 3


def test_zero_total_group_is_drawn_empty(tmp_path):
    # 2021 and 2022 have no outcomes: no ZeroDivisionError, no NaN warnings.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        charts.outcome_chart(OUTCOMES, tmp_path / "o.png", title="含无申请年度")
        charts.outcome_chart([("某区", {})], tmp_path / "only-zero.png", title="全为零")


def test_outcome_keys_map_to_segments():
    assert charts._segment_of("denied_third_party") == "denied"
    assert charts._segment_of("无法提供") == "unable"
    assert charts._segment_of("other_processing") == "other_processing"
    assert charts._segment_of("other_fee_unpaid") == "other_processing"
    assert charts._segment_of("other_other") == "other_other"
    assert charts._segment_of("handled_total") is None  # a whole column may be passed
    with pytest.raises(UsageError, match="无法识别的办理结果"):
        charts._segment_of("bogus")


def test_truncated_error_chart_notes_the_rest(tmp_path, monkeypatch):
    seen = {}
    from matplotlib.figure import Figure
    real = Figure.supxlabel

    def spy(self, t, **kw):
        seen["note"] = t
        return real(self, t, **kw)

    monkeypatch.setattr(Figure, "supxlabel", spy)
    charts.error_chart(ERRORS, tmp_path / "e.png", title="前十", top=10)
    assert seen["note"].startswith("其余 35 个单位")
    rest = sorted(ERRORS, key=lambda r: (-(r[1] + r[2]), -r[1], r[0]))[10:]
    assert f"错误 {sum(r[1] for r in rest)} 条" in seen["note"]
    seen.clear()
    charts.error_chart(ERRORS[:5], tmp_path / "e2.png", title="全部", top=10)
    assert "note" not in seen


def test_bad_suffix_is_a_chinese_usage_error(tmp_path):
    with pytest.raises(UsageError) as err:
        charts.trend_chart(TREND, tmp_path / "chart.pdf", title="x")
    assert ".png" in str(err.value) and ".svg" in str(err.value) and "不支持的图表格式" in str(err.value)
    assert not (tmp_path / "chart.pdf").exists()


def test_missing_cjk_font_names_the_debian_package(tmp_path, monkeypatch):
    monkeypatch.setattr(charts, "CJK_FAMILIES", ("No Such Font SC",))
    with pytest.raises(UsageError, match="fonts-noto-cjk"):
        charts.outcome_chart(OUTCOMES, tmp_path / "o.png", title="x")


def test_missing_matplotlib_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(UsageError, match=r"pip install 'nianbao\[charts\]'"):
        charts.error_chart(ERRORS, tmp_path / "e.svg", title="x")


def test_import_does_not_need_matplotlib():
    import subprocess
    code = ("import sys; sys.modules['matplotlib'] = None; import nianbao.outputs.charts as c; "
            "print(c.SUFFIXES)")
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)


def test_the_tofu_check_catches_a_latin_font(tmp_path, monkeypatch, font_log):
    """Guard the guard: with a font lacking Chinese glyphs the checks above must fail."""
    monkeypatch.setattr(charts, "CJK_FAMILIES", ("DejaVu Sans",))
    with warnings.catch_warnings(record=True) as recorded:
        warnings.simplefilter("always")
        charts.trend_chart(TREND, tmp_path / "tofu.png", title="申请数")
    with pytest.raises(AssertionError):
        _assert_clean(recorded, font_log)


def test_charts_drawn_at_once_from_threads_keep_their_chinese_font(tmp_path):
    """The web app draws in a thread pool; rcParams are global, so concurrent draws once swapped
    fonts mid-draw and printed tofu boxes. Every concurrent draw must equal a lone one."""
    import threading
    from nianbao.outputs import charts
    series = {"全部": [(2023, 5), (2024, 9)]}
    charts.trend_chart(series, tmp_path / "alone.svg", title="申请数趋势")
    threads = [threading.Thread(target=charts.trend_chart, args=(series, tmp_path / f"t{i}.svg"),
                                kwargs={"title": "申请数趋势"}) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    alone = (tmp_path / "alone.svg").read_bytes()
    assert all((tmp_path / f"t{i}.svg").read_bytes() == alone for i in range(6))
