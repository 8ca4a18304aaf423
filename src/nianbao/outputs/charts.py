"""Charts (PNG or SVG by the output suffix) from plain Python data, with Chinese text.

Callers aggregate from the store; these functions only draw, so they are testable without a
database. matplotlib is an optional extra (``nianbao[charts]``): it is imported inside the functions
so that importing this module never needs it. Every figure is a ``matplotlib.figure.Figure`` drawn
with the Agg/SVG backends inside an ``rc_context``, so nothing leaks into pyplot's global state or
between calls.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from pathlib import Path

from .. import schema
from ..errors import UsageError

# Preference order; every one covers simplified Chinese. Checked against matplotlib's own font list
# (not fontconfig) because that is what it will actually render with.
CJK_FAMILIES = ("Noto Sans CJK SC", "WenQuanYi Zen Hei", "Noto Serif CJK SC", "Source Han Sans SC")
SUFFIXES = (".png", ".svg")
DPI = 150
NO_DATA = "没有数据"

# 表三 outcome segments in the order of the form. 其他处理 is （六）1–2 (and the single 2019 row);
# 其他 is （六）3, the form's own "其他" row.
_SEGMENTS = (
    ("granted", "予以公开", "#2e7d32"),
    ("partially_granted", "部分公开", "#8bc34a"),
    ("denied", "不予公开", "#c62828"),
    ("unable", "无法提供", "#ef6c00"),
    ("rejected", "不予处理", "#6a1b9a"),
    ("other_processing", "其他处理", "#1565c0"),
    ("other_other", "其他", "#9e9e9e"),
)
_GROUP_SEGMENT = {"不予公开": "denied", "无法提供": "unable", "不予处理": "rejected"}
# Rows of 表三 that are not outcomes: a caller may pass a whole column, these are simply not drawn.
_NOT_OUTCOMES = ("new_received", "carried_over", "handled_total", "carried_forward")


def _segment_of(key: str) -> str | None:
    """Map a segment key, a Chinese segment label or a detailed 表三 row key to its segment."""
    for seg, label, _ in _SEGMENTS:
        if key in (seg, label):
            return seg
    if key in _NOT_OUTCOMES:
        return None
    row = schema.APP_ROW_BY_KEY.get(key)
    if row is not None and row.group in _GROUP_SEGMENT:
        return _GROUP_SEGMENT[row.group]
    if key in ("other_no_correction", "other_fee_unpaid", schema.OTHER_PROCESSING_2019.key):
        return "other_processing"
    known = "、".join(label for _, label, _ in _SEGMENTS)
    raise UsageError(f"无法识别的办理结果“{key}”：应为{known}之一，或表三办理结果行的键")


def _cjk_family() -> str:
    from matplotlib import font_manager
    installed = {f.name for f in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in installed:
            return family
    raise UsageError("没有找到中文字体，图表中的中文无法显示：请安装 Debian 软件包 fonts-noto-cjk"
                     "（sudo apt-get install fonts-noto-cjk），或安装“文泉驿正黑”（fonts-wqy-zenhei）")


def _check_suffix(out: str | Path) -> Path:
    path = Path(out)
    if path.suffix.lower() not in SUFFIXES:
        raise UsageError(f"不支持的图表格式“{path.suffix or '（无后缀）'}”：输出文件名须以 .png 或 .svg 结尾")
    return path


@contextmanager
def _figure(out: str | Path, width: float, height: float):
    """Yield a fresh Figure with Chinese fonts and save it to ``out`` on exit.

    Fonts are resolved at draw time, so building and saving both happen inside the rc_context.
    Constrained layout (not bbox_inches="tight") keeps the pixel size predictable.
    """
    path = _check_suffix(out)
    try:
        import matplotlib
        from matplotlib.figure import Figure
    except ImportError:
        raise UsageError("绘制图表需要 matplotlib：请运行 pip install 'nianbao[charts]'") from None
    family = _cjk_family()
    with _DRAWING:
        yield from _drawn_figure(path, family, width, height, matplotlib, Figure)


# rcParams are process-global: two threads drawing at once (the web app's thread pool) would swap
# each other's fonts mid-draw and print tofu boxes. One chart at a time.
_DRAWING = threading.Lock()


def _drawn_figure(path: Path, family: str, width: float, height: float, matplotlib, Figure):
    rc = {"font.family": "sans-serif", "font.sans-serif": [family], "axes.unicode_minus": False,
          "svg.fonttype": "path", "svg.hashsalt": "nianbao-charts", "font.size": 10,
          "axes.spines.top": False, "axes.spines.right": False}
    with matplotlib.rc_context(rc):
        fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
        yield fig
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix.lower() == ".svg":
            fig.savefig(path, format="svg", metadata={"Date": None})
        else:
            fig.savefig(path, format="png", dpi=DPI, metadata={"Software": None})


def _no_data(fig, title: str) -> None:
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.set_title(title, fontsize=13)
    ax.text(0.5, 0.5, NO_DATA, ha="center", va="center", fontsize=16, color="#757575",
            transform=ax.transAxes)


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _wrap(text: str, width: int) -> str:
    """Hard-wrap by characters: Chinese names have no spaces for textwrap to break at."""
    return "\n".join(text[i:i + width] for i in range(0, len(text), width)) or text


def _label_points(ax, points, colors, per_pt: float) -> None:
    """Value labels above each point, or below when that would overprint another point or label;
    dropped when neither fits. ``per_pt`` is data units per typographic point on the y axis."""
    height, gap, marker = 9 * per_pt, 4 * per_pt, 4 * per_pt
    for year in sorted({yr for pts in points.values() for yr, _ in pts}):
        here = sorted(((v, n) for n, pts in points.items() for yr, v in pts if yr == year), reverse=True)
        taken = [(v - marker, v + marker) for v, _ in here]
        for v, name in here:
            for lo, hi, dy, va in ((v + gap, v + gap + height, 5, "bottom"),
                                   (v - gap - height, v - gap, -5, "top")):
                if all(hi <= t0 or lo >= t1 for t0, t1 in taken):
                    taken.append((lo, hi))
                    ax.annotate(_fmt(v), (year, v), xytext=(0, dy), textcoords="offset points",
                                ha="center", va=va, fontsize=8, color=colors[name])
                    break


def trend_chart(series: dict[str, list[tuple[int, float]]], out: str | Path, *, title: str,
                ylabel: str = "申请数（件）") -> Path:
    """Counts by year, one line per series (a region, unit, level, or "合计" drawn dark and bold)."""
    points = {name: sorted(p for p in pts if p[1] is not None) for name, pts in series.items()}
    points = {name: pts for name, pts in points.items() if pts}
    years = sorted({y for pts in points.values() for y, _ in pts})
    with _figure(out, max(7.0, 1.0 + 0.7 * len(years)), 4.8) as fig:
        if not years:
            _no_data(fig, title)
            return Path(out)
        ax = fig.add_subplot()
        # Labels on every point only while they stay readable.
        label_points = len(years) <= 10 and len(points) <= 4
        markers = "osD^vP*Xph"
        colors = {}
        n = 0
        for name, pts in points.items():
            xs, ys = [p[0] for p in pts], [p[1] for p in pts]
            if name == "合计":
                style = {"color": "#212121", "linewidth": 2.6, "marker": "o", "zorder": 3}
            else:
                style = {"color": f"C{n % 10}", "linewidth": 1.8, "marker": markers[n % len(markers)]}
                n += 1
            ax.plot(xs, ys, label=name, markersize=6, **style)
            colors[name] = style["color"]
        ax.set_xticks(years, [str(y) for y in years])
        pad = 0.5 if len(years) > 1 else 1
        ax.set_xlim(years[0] - pad, years[-1] + pad)
        top = max(y for pts in points.values() for _, y in pts)
        ax.set_ylim(min(0, min(y for pts in points.values() for _, y in pts)), (top or 1) * 1.15)
        if label_points:
            lo, hi = ax.get_ylim()
            _label_points(ax, points, colors, (hi - lo) / (fig.get_figheight() * 72 * 0.75))
        ax.yaxis.set_major_formatter(lambda v, _: _fmt(v))
        ax.grid(axis="y", color="#e0e0e0", linewidth=0.8)
        ax.set_axisbelow(True)
        ax.set_title(title, fontsize=13)
        ax.set_xlabel("年度")
        ax.set_ylabel(ylabel)
        if len(points) > 1 or next(iter(points)) != "合计":
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, borderaxespad=0)
    return Path(out)


def outcome_chart(groups: list[tuple[str, dict[str, float]]], out: str | Path, *, title: str) -> Path:
    """Outcome composition as 100% stacked bars, one per group (a year or a region).

    Values are counts keyed by segment key, Chinese label or detailed 表三 row key; shares are
    computed here. A group with no outcomes is drawn as an empty outline marked 无申请.
    """
    sums = []
    for name, values in groups:
        seg = dict.fromkeys((s for s, _, _ in _SEGMENTS), 0.0)
        for key, value in values.items():
            target = _segment_of(key)
            if target is not None and value:
                if value < 0:
                    raise UsageError(f"“{name}”的办理结果“{key}”为负数（{value}），无法计算构成")
                seg[target] += value
        sums.append((str(name), seg))
    with _figure(out, max(7.5, 2.6 + 0.75 * len(sums)), 5.2) as fig:
        if not sums:
            _no_data(fig, title)
            return Path(out)
        ax = fig.add_subplot()
        xs = list(range(len(sums)))
        totals = [sum(seg.values()) for _, seg in sums]
        bottoms = [0.0] * len(sums)
        for key, label, color in _SEGMENTS:
            shares = [100 * seg[key] / t if t else 0.0 for (_, seg), t in zip(sums, totals)]
            ax.bar(xs, shares, bottom=bottoms, width=0.65, color=color, label=label,
                   edgecolor="white", linewidth=0.6)
            r, g, b = (int(color[i:i + 2], 16) for i in (1, 3, 5))
            ink = "white" if 0.299 * r + 0.587 * g + 0.114 * b < 150 else "#212121"
            for x, share, base in zip(xs, shares, bottoms):
                if share >= 5:
                    ax.text(x, base + share / 2, f"{share:.0f}%", ha="center", va="center",
                            fontsize=8, color=ink)
            bottoms = [b0 + s for b0, s in zip(bottoms, shares)]
        for x, total in zip(xs, totals):
            if total:
                ax.text(x, 101.5, f"共{_fmt(total)}件", ha="center", va="bottom", fontsize=8, color="#424242")
            else:
                ax.bar([x], [100], width=0.65, fill=False, edgecolor="#9e9e9e", linestyle="--")
                ax.text(x, 50, "无申请", ha="center", va="center", fontsize=10, color="#757575")
        ax.set_xticks(xs, [_wrap(name, 6) for name, _ in sums])
        ax.set_xlim(-0.6, len(sums) - 0.4)
        ax.set_ylim(0, 108)
        ax.set_yticks(range(0, 101, 20), [f"{v}%" for v in range(0, 101, 20)])
        ax.set_ylabel("占办理结果总数的比例")
        ax.set_title(title, fontsize=13)
        handles, labels = ax.get_legend_handles_labels()
        ax.legend(handles[::-1], labels[::-1], loc="upper left", bbox_to_anchor=(1.01, 1),
                  frameon=False, borderaxespad=0, title="办理结果")
    return Path(out)


def error_chart(rows: list[tuple[str, int, int]], out: str | Path, *, title: str, top: int = 30) -> Path:
    """Errors and warnings per unit, worst first, as horizontal stacked bars.

    Only the ``top`` worst units are drawn so the chart stays readable; the rest are summarised
    in a note so nobody mistakes the chart for the whole picture.
    """
    ranked = sorted(rows, key=lambda r: (-(r[1] + r[2]), -r[1], r[0]))
    shown, rest = ranked[:max(top, 0)], ranked[max(top, 0):]
    height = 1.6 + 0.34 * max(len(shown), 3) + (0.3 if rest else 0)
    with _figure(out, 10.0, height) as fig:
        if not shown:
            _no_data(fig, title)
            return Path(out)
        ax = fig.add_subplot()
        ys = list(range(len(shown)))
        names = [_wrap(name, 22) for name, _, _ in shown]
        errors = [e for _, e, _ in shown]
        warns = [w for _, _, w in shown]
        peak = max(e + w for e, w in zip(errors, warns)) or 1
        ax.barh(ys, errors, height=0.7, color="#c62828", label="错误")
        ax.barh(ys, warns, left=errors, height=0.7, color="#f9a825", label="警告")
        for y, e, w in zip(ys, errors, warns):
            for start, n, ink in ((0, e, "white"), (e, w, "#212121")):
                if n and n / peak >= 0.06:
                    ax.text(start + n / 2, y, str(n), ha="center", va="center", fontsize=8, color=ink)
            ax.text(e + w + peak * 0.01, y, f"共{e + w}", ha="left", va="center", fontsize=8, color="#424242")
        ax.set_yticks(ys, names, fontsize=9 if all(len(n) <= 22 for n, _, _ in shown) else 8)
        ax.invert_yaxis()
        ax.set_ylim(len(shown) - 0.5, -0.5)
        ax.set_xlim(0, peak * 1.1)
        from matplotlib.ticker import MaxNLocator
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(axis="x", color="#e0e0e0", linewidth=0.8)
        ax.set_axisbelow(True)
        ax.set_xlabel("条数")
        ax.set_title(title, fontsize=13)
        # Outside the axes: inside it would cover the shortest bars or their totals.
        fig.legend(loc="outside upper right", frameon=False, ncols=2)
        if rest:
            # supxlabel, unlike fig.text, gets room from the constrained layout.
            fig.supxlabel(f"其余 {len(rest)} 个单位未列出（错误 {sum(r[1] for r in rest)} 条，"
                          f"警告 {sum(r[2] for r in rest)} 条）", x=0.01, ha="left", fontsize=9, color="#616161")
    return Path(out)
