"""The rapidocr engine: its settings, the one cached instance per process, and the two model calls
the page reader makes (recognition of line images, detection of text boxes).

Why apart: this is the only module that talks to rapidocr and onnxruntime, and the only shared
state of the OCR reader (the engine and its lock); everything else is pure image and layout work
that receives numpy/OpenCV as arguments.
"""
from __future__ import annotations

import os
import re
import threading

from ...errors import ReadError

MIN_SCORE = 0.5            # a recognised line below this score is noise (rapidocr's own default)

OCR_EXTRA = "扫描件需要 OCR 组件：pip install 'nianbao[ocr]'"


def _threads() -> int:
    """ONNX threads: the CPUs this process may use (taskset/cgroups), at most 4 (more does not help
    the small PP-OCR models); NIANBAO_OCR_THREADS overrides (a batch of workers wants 1 each)."""
    env = os.environ.get("NIANBAO_OCR_THREADS", "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        n = os.cpu_count() or 1
    return max(1, min(4, n))


def engine_params() -> dict:
    """All rapidocr settings, in one place, and why each:
    - the angle classifier is off: scans are upright, and on one-character crops (vertical labels)
      it flips characters by mistake; it also costs a model pass per line;
    - detection runs on the page scaled to at most 1280 px (limit_type max): text at our normalised
      24 px height is still ~18 px there, enough for the detector, and detection time grows with
      the area (full 150 DPI page: 3.4 s; 1280 px: ~1.5 s); crops for recognition are still cut
      from the full-resolution image;
    - Global.max_side_len is raised so rapidocr does not shrink tall images (long screenshots)
      before cutting the crops;
    - recognition input 48×160 instead of 48×320: every crop is padded to at least that width, and
      most crops (numbers, one-character lines) are much narrower — same text read on the
      generated reports, ~25 % less CPU; batches are formed by _recognise under REC_BUDGET;
    - threads: see _threads; inter-op parallelism is useless for these sequential graphs;
    - log level error: rapidocr logs every call at info level."""
    return {
        "Global.log_level": "error",
        "Global.use_cls": False,
        "Global.text_score": MIN_SCORE,
        "Global.max_side_len": 100_000,
        "Det.limit_type": "max",
        "Det.limit_side_len": 100_000,
        "Rec.rec_img_shape": list(REC_SHAPE),
        "EngineConfig.onnxruntime.intra_op_num_threads": _threads(),
        "EngineConfig.onnxruntime.inter_op_num_threads": 1,
    }


REC_SHAPE = (3, 48, 160)
REC_BUDGET = 36  # sum over a batch of the crops' padded width/height: bounds recogniser memory

_ENGINE = None
_ENGINE_LOCK = threading.RLock()


def _engine(path: str):
    """The one rapidocr engine of this process (models load in ~1 s and take ~100 MB: never twice)."""
    global _ENGINE
    if _ENGINE is None:
        with _ENGINE_LOCK:
            if _ENGINE is None:
                try:
                    from rapidocr import RapidOCR
                except ImportError:
                    raise ReadError(OCR_EXTRA, path) from None
                _ENGINE = RapidOCR(params=engine_params())
    return _ENGINE


def _libs(path: str):
    """numpy and OpenCV, or the Chinese message naming the extra to install."""
    try:
        import cv2
        import numpy as np
        import onnxruntime  # noqa: F401  (rapidocr imports it late: fail here, with the message)
    except ImportError:
        raise ReadError(OCR_EXTRA, path) from None
    return cv2, np


# ------------------------------------------------------------------------------------------ model calls

def _recognise(cv2, np, eng, images):
    """Recognition only (no detection) of line images: [(text, score)]."""
    if not images:
        return []
    from rapidocr.ch_ppocr_rec import TextRecInput
    rec = eng._load_rec_model()
    out: list[tuple[str, float]] = [("", 0.0)] * len(images)
    # Batches by padded width, not by count: the recogniser's memory grows with batch × widest
    # crop (~60 MB for one crop 30 heights wide), so twenty numbers go together, a line alone.
    order = sorted(range(len(images)), key=lambda k: images[k].shape[1] / max(1, images[k].shape[0]))
    min_ratio = REC_SHAPE[2] / REC_SHAPE[1]
    groups: list[list[int]] = [[]]
    for k in order:
        ratio = max(min_ratio, images[k].shape[1] / max(1, images[k].shape[0]))
        if groups[-1] and (len(groups[-1]) + 1) * ratio > REC_BUDGET:
            groups.append([])
        groups[-1].append(k)
    with _ENGINE_LOCK:
        for group in groups:
            rec.rec_batch_num = len(group)
            res = rec(TextRecInput(img=[cv2.cvtColor(images[k], cv2.COLOR_GRAY2BGR) for k in group]))
            for k, t, sc in zip(group, res.txts or [""] * len(group), res.scores or [0.0] * len(group)):
                out[k] = (_despace(t or ""), float(sc))
    return out


_CJK_SPACE = re.compile(r"(?<=[\u3000-\u9fff\uff00-\uffef]) +| +(?=[\u3000-\u9fff\uff00-\uffef])")


def _despace(text: str) -> str:
    """Spaces the recogniser puts next to a Chinese character or full-width punctuation are layout
    (justified text, the gap after “1.”), not content; spaces between Latin words and digits stay."""
    return _CJK_SPACE.sub("", text.strip())


DET_CHAR_PX = 15  # character height the detector sees: enough for PP-OCR det, ~40 % of the pixels


def _detect_boxes(cv2, np, eng, grey, ch):
    """Text boxes (x0, y0, x1, y1) in `grey` pixels, detected on a downscaled copy: detection cost
    and memory grow with the area, and it does not need full resolution to find lines."""
    if grey.size == 0 or grey.shape[0] < 8 or grey.shape[1] < 8:
        return []
    f = min(1.0, DET_CHAR_PX / ch) if ch > 0 else 1.0
    small = cv2.resize(grey, None, fx=f, fy=f, interpolation=cv2.INTER_AREA) if f < 1 else grey
    det = eng._load_det_model()
    res = det(cv2.cvtColor(small, cv2.COLOR_GRAY2BGR))
    if res.boxes is None or len(res.boxes) == 0:
        return []
    out = []
    H, W = grey.shape
    for box in res.boxes:
        b = np.asarray(box, dtype=np.float64) / f
        x0, y0 = max(0, int(b[:, 0].min())), max(0, int(b[:, 1].min()))
        x1, y1 = min(W, int(np.ceil(b[:, 0].max()))), min(H, int(np.ceil(b[:, 1].max())))
        if x1 - x0 >= 3 and y1 - y0 >= 3:
            out.append((x0, y0, x1, y1))
    return out
