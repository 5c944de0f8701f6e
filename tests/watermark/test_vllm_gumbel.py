"""vLLM's Gumbel-max watermark, verified here: numbers computed by vLLM's own torch code.

The expected values below were computed with the torch functions of vLLM's
``vllm/v1/watermarking/prfs/philox.py`` (commit 373305d6, PRF ``philox4x32-10-v1``),
``prfs/base.py`` and the ``GumbelWatermarkDetector`` of ``gumbel.py`` / ``detector.py``.
"""

from __future__ import annotations

import numpy as np
import pytest

from distillguard.watermark import detect_tokens, generate_key, scheme_for
from distillguard.watermark.vllm_gumbel import philox_uniform


@pytest.mark.parametrize(
    ("key", "contexts", "tokens", "expected"),
    [
        (
            42,
            [[-1, -1, -1, -1], [-1, -1, -1, 17], [5, 6, 7, 8], [49151, 0, 1, 2], [-1, -1, -1, -1]],
            [0, 1, 2, 3, 49151],
            [0.9772860407829285, 0.8360016345977783, 0.8906266093254089, 0.9381053447723389, 0.07267963141202927],
        ),
        (
            7,
            [[33334], [30231], [30268], [40473]],
            [21246, 16395, 46526, 29870],
            [0.8029564023017883, 0.025583384558558464, 0.33641359210014343, 0.41820868849754333],
        ),
        (
            7,
            [
                [28628, 35526, 24875, 39117, 22586, 48837],
                [33526, 43473, 23044, 28320, 5556, 4562],
                [13616, 29346, 2717, 29167, 33882, 9854],
                [38965, 46347, 34188, 42582, 47361, 20060],
            ],
            [13965, 2248, 23818, 6070],
            [0.7225319147109985, 0.28191015124320984, 0.12652651965618134, 0.42814722657203674],
        ),
    ],
)
def test_uniforms_equal_vllms(key: int, contexts: list[list[int]], tokens: list[int], expected: list[float]) -> None:
    got = philox_uniform(key, np.array(contexts), np.array(tokens))
    assert got.dtype == np.float32
    assert got.tolist() == expected


# Forty random ids and the first six again (a repeated context is skipped, as vLLM's detector does).
TOKENS = [17287, 12338, 32565, 40225, 23502, 23159, 40955, 20133, 22140, 48962, 1295, 3974, 12988, 27292, 34904]
TOKENS += [22845, 33211, 46016, 46475, 31197, 15774, 37406, 22265, 40436, 26653, 39912, 1550, 27532, 48842, 43167]
TOKENS += [37079, 36206, 23713, 11025, 15887, 10850, 28838, 18874, 31913, 22266]
TOKENS += TOKENS[:6]


def test_detection_equals_vllms_detector() -> None:
    detection = detect_tokens(scheme_for(generate_key("vllm-gumbel", vllm_key=42)), TOKENS)
    # vLLM: WatermarkDetection(score=47.3534316413483, p_value=0.2934905873832888, num_scored_tokens=44)
    assert detection.tokens_scored == 44
    assert detection.statistic == pytest.approx(47.3534316413483, rel=1e-12)
    assert detection.p_value == pytest.approx(0.2934905873832888, rel=1e-9)


def test_text_sampled_with_vllms_rule_is_detected_and_other_keys_are_not() -> None:
    # vLLM's sampler: argmax(logits + Gumbel(u)), u from its PRF over the previous output tokens.
    scheme = scheme_for(generate_key("vllm-gumbel", vllm_key=2024))
    rng = np.random.default_rng(0)
    generated: list[int] = []
    for _ in range(120):
        logits = rng.normal(0, 2.0, 512)
        context = ([-1] * 4 + generated)[-4:]
        u = np.maximum(scheme.vocabulary(context, 512), np.finfo(np.float32).tiny)
        generated.append(int(np.argmax(logits - np.log(-np.log(u)))))
    assert detect_tokens(scheme, generated).p_value < 1e-6
    assert detect_tokens(scheme_for(generate_key("vllm-gumbel", vllm_key=2025)), generated).p_value > 1e-3
