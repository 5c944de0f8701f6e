"""The processors: text generated through each is detected under its key, and only under it.

Generation runs a real (tiny, randomly initialised) Llama model through transformers'
``generate``, so the processor sits in the real sampling loop; the llama-cpp-python adapter is
driven with the calling convention llama-cpp-python uses (whole sequence, one score row).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from distillguard.errors import WatermarkError
from distillguard.watermark import WatermarkKey, detect_many, generate_key, scheme_for
from distillguard.watermark.sampling import Watermarker, contexts_of

torch = pytest.importorskip("torch", reason="the processors need the forensics extra (torch)")
transformers = pytest.importorskip("transformers", reason="the processors need the forensics extra (transformers)")

from distillguard.watermark.processors.hf import WatermarkLogitsProcessor  # noqa: E402
from distillguard.watermark.processors.llama_cpp import LlamaCppWatermark  # noqa: E402
from distillguard.watermark.processors.request import RequestWatermark  # noqa: E402

VOCAB = 2048


@pytest.fixture(scope="module")
def tiny_model() -> object:
    torch.manual_seed(0)
    config = transformers.LlamaConfig(
        vocab_size=VOCAB,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=512,
    )
    return transformers.LlamaForCausalLM(config).eval()


def _generate(model: Any, processor: object | None, rows: int = 4, tokens: int = 120) -> list[list[int]]:
    torch.manual_seed(1)
    prompt = torch.randint(0, VOCAB, (rows, 6))
    extra = {"logits_processor": transformers.LogitsProcessorList([processor])} if processor else {}
    with torch.inference_mode():
        out = model.generate(
            prompt,
            attention_mask=torch.ones_like(prompt),
            max_new_tokens=tokens,
            min_new_tokens=tokens,
            do_sample=True,
            temperature=1.0,
            top_k=0,
            pad_token_id=0,
            **extra,
        )
    return [row[6:].tolist() for row in out]


@pytest.mark.parametrize("scheme_name", ["kgw", "gumbel"])
def test_transformers_processor_marks_what_it_generates(tiny_model: object, scheme_name: str) -> None:
    key = generate_key(scheme_name)  # type: ignore[arg-type]
    texts = _generate(tiny_model, WatermarkLogitsProcessor(scheme_for(key), temperature=1.0))
    assert all(d.p_value < 1e-6 for d in detect_many(scheme_for(key), texts))
    other = generate_key(scheme_name)  # type: ignore[arg-type]
    assert all(d.p_value > 1e-4 for d in detect_many(scheme_for(other), texts))


def test_unmarked_generation_is_not_detected(tiny_model: object) -> None:
    texts = _generate(tiny_model, None)
    for scheme_name in ("kgw", "gumbel"):
        scheme = scheme_for(generate_key(scheme_name))
        assert all(d.p_value > 1e-4 for d in detect_many(scheme, texts))


def test_gumbel_processor_draws_from_the_models_distribution() -> None:
    # Distortion-free: over many keys, the token drawn after one context follows softmax(logits).
    logits = np.log(np.array([[0.5, 0.3, 0.15, 0.05]], dtype=np.float32))
    counts = np.zeros(4)
    for seed in range(4000):
        key = WatermarkKey(scheme="gumbel", secret=seed.to_bytes(32, "little"), context_width=1)
        marked = Watermarker(scheme_for(key)).process([[7]], logits)
        counts[int(np.argmax(marked[0]))] += 1
    assert np.allclose(counts / 4000, [0.5, 0.3, 0.15, 0.05], atol=0.025)


def test_gumbel_leaves_a_repeated_context_and_truncation_alone() -> None:
    key = WatermarkKey(scheme="gumbel", secret=bytes(32), context_width=1)
    watermarker = Watermarker(scheme_for(key), top_k=2)
    logits = np.array([[0.0, 5.0, 4.0, -3.0]], dtype=np.float32)
    first = watermarker.process([[9]], logits)
    assert int(np.argmax(first[0])) in (1, 2)  # top_k = 2 keeps tokens 1 and 2 only
    assert np.isinf(first[0]).sum() == 3
    repeated = watermarker.process([[9, 3, 9]], logits)  # context (9,) was seen at position 1
    assert np.array_equal(repeated, logits)


def test_green_list_adds_delta_to_exactly_the_green_tokens() -> None:
    scheme = scheme_for(generate_key("kgw", gamma=0.5, delta=3.0))
    logits = np.zeros((2, 500), dtype=np.float32)
    marked = Watermarker(scheme).process([[1, 2, 3], []], logits)
    contexts = contexts_of([[1, 2, 3], []], scheme.context_width)
    assert contexts.tolist() == [[2, 3], [-1, -1]]
    expected = 3.0 * scheme.green_masks(contexts, 500)  # type: ignore[attr-defined]
    assert np.array_equal(marked, expected.astype(np.float32))


def test_llama_cpp_adapter_skips_the_prompt_and_marks_the_completion() -> None:
    key = generate_key("gumbel")
    processor = LlamaCppWatermark(scheme_for(key), temperature=1.0)
    rng = np.random.default_rng(4)
    sequence = [int(token) for token in rng.integers(0, 500, size=12)]  # the prompt
    for _ in range(150):
        scores = rng.normal(0, 1, 500).astype(np.single)
        out = processor(np.array(sequence, dtype=np.intc), scores)
        sequence.append(int(np.argmax(out)))
    completion = sequence[12:]
    assert detect_many(scheme_for(key), [completion])[0].p_value < 1e-6
    assert processor.prompt_length == 12


def test_vllm_request_callable_marks_one_request() -> None:
    key = generate_key("kgw", delta=4.0)
    processor = RequestWatermark(Watermarker(scheme_for(key)))
    rng = np.random.default_rng(5)
    output: list[int] = []
    for _ in range(100):
        logits = torch.from_numpy(rng.normal(0, 1, 800).astype(np.float32))
        probabilities = torch.softmax(processor(output, logits), dim=-1).numpy().astype(np.float64)
        output.append(int(rng.choice(800, p=probabilities / probabilities.sum())))
    assert detect_many(scheme_for(key), [output])[0].p_value < 1e-6


def test_vllm_plugin_marks_only_requests_that_ask() -> None:
    # Runs where vLLM is installed (a CUDA machine); vLLM cannot be installed on this project's CI.
    pytest.importorskip("vllm", reason="vLLM needs a CUDA build and is not installable on this project's machines")
    from types import SimpleNamespace  # noqa: PLC0415

    from distillguard.watermark.processors.vllm import DistillguardWatermark  # noqa: PLC0415

    plugin = object.__new__(DistillguardWatermark)
    plugin.key = generate_key("gumbel")
    plain = SimpleNamespace(extra_args=None, temperature=0.7, top_p=0.9, top_k=-1)
    asked = SimpleNamespace(extra_args={"distillguard_watermark": True}, temperature=0.7, top_p=0.9, top_k=-1)
    greedy = SimpleNamespace(extra_args={"distillguard_watermark": True}, temperature=0.0, top_p=1.0, top_k=-1)
    assert plugin.new_req_logits_processor(plain) is None
    assert isinstance(plugin.new_req_logits_processor(asked), RequestWatermark)
    assert plugin.new_req_logits_processor(greedy) is None
    assert not plugin.is_argmax_invariant()


def test_processors_refuse_what_they_cannot_do() -> None:
    with pytest.raises(WatermarkError, match="own engine"):
        Watermarker(scheme_for(generate_key("vllm-gumbel")))
    with pytest.raises(WatermarkError, match="temperature above 0"):
        Watermarker(scheme_for(generate_key("gumbel")), temperature=0)
    with pytest.raises(WatermarkError, match="rows"):
        Watermarker(scheme_for(generate_key("kgw"))).process([[1]], np.zeros((2, 10), dtype=np.float32))
