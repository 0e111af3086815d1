"""The llama_cpp adapter on a tiny random-weight Qwen3 GGUF written at test time (no download, no GPU)."""

from __future__ import annotations

import hashlib
import re
import threading
from pathlib import Path

import jinja2
import llama_cpp
import neo4j
import numpy as np
import pytest

from harness.adapters.base import ModelSpec
from harness.adapters.llama_cpp import LlamaCppAdapter
from harness.adapters.prompting import packaged
from harness.adapters.specs import read_spec_file
from harness.errors import ModelUnavailable
from harness.suitegen.model import SuiteItem

from .tiny_gguf import CHATML

REPO = Path(__file__).resolve().parent.parent
# sha256 of the prompt the published fine-tune was trained with (../shared/reference/ft_system_prompt.txt)
FT_PROMPT_SHA256 = "32d765c00c6d4a5d853af1f12e27accd8d53307141def50423300eb6b2530907"
QUESTIONS = ("Which therapies target EGFR?", "What genes does Osimertinib target?", "List variants of KRAS")
READ_ONLY_SHAPE = re.compile(r"^MATCH \(\w:\w+\)\S* (WHERE .+ )?RETURN (DISTINCT )?\S.* LIMIT [1-9][0-9]{0,2}$")
WRITES = re.compile(r"\b(CREATE|MERGE|SET|DELETE|REMOVE|CALL|LOAD|DROP)\b", re.IGNORECASE)


def make(path, **options) -> LlamaCppAdapter:
    options = {"model_path": str(path), "n_threads": 1, **options}  # one thread: the test machine is shared
    return LlamaCppAdapter(ModelSpec(name="tiny", adapter="llama_cpp", options=options))


def item(question: str, number: int = 1) -> SuiteItem:
    return SuiteItem(id=f"t{number}", family_id="F1", question=question, cypher="MATCH (g:Gene) RETURN g LIMIT 1")


@pytest.fixture(scope="module")
def plain(tiny_gguf):
    adapter = make(tiny_gguf, max_tokens=8)
    adapter.check()
    yield adapter
    adapter.close()


def test_ft_spec_sends_the_training_prompt_byte_for_byte():
    path = packaged("ft_system_prompt.txt")
    assert hashlib.sha256(path.read_bytes()).hexdigest() == FT_PROMPT_SHA256
    spec = read_spec_file(REPO / "models" / "ft.toml")
    adapter = LlamaCppAdapter(spec)  # constructing needs no weights; loading does
    system, user = adapter.messages("Which therapies target EGFR?")
    assert system == {"role": "system", "content": path.read_bytes().decode("utf-8")}
    assert hashlib.sha256(system["content"].encode("utf-8")).hexdigest() == FT_PROMPT_SHA256
    assert user == {"role": "user", "content": "Which therapies target EGFR?"}


def test_base_spec_sends_our_schema_prompt():
    adapter = LlamaCppAdapter(read_spec_file(REPO / "models" / "base.toml"))
    system, _ = adapter.messages("Which therapies target EGFR?")
    assert "(Therapy)-[:TARGETS" in system["content"] and "AFFECTS_RESPONSE_TO" in system["content"]
    assert "{schema}" not in system["content"] and "LIMIT" in system["content"]


def test_uses_the_gguf_chat_template_and_records_its_hash(tiny_gguf):
    adapter = make(tiny_gguf, system_prompt_file="ft_system_prompt.txt", max_tokens=4)
    info = adapter.describe()
    assert info["chat_template_sha256"] == hashlib.sha256(CHATML.encode()).hexdigest()
    assert info["system_prompt_sha256"] == FT_PROMPT_SHA256
    question = QUESTIONS[0]
    expected = jinja2.Template(CHATML).render(messages=adapter.messages(question), add_generation_prompt=True)
    prompt = adapter.render(question)
    assert prompt == expected
    assert prompt.startswith("<|im_start|>system\nYou are an expert Cypher query translator")
    assert prompt.endswith(f"<|im_start|>user\n{question}<|im_end|>\n<|im_start|>assistant\n")
    generation = adapter.generate(item(question))
    tokens = adapter._llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)
    assert generation.prompt_tokens == len(tokens) > 700  # the whole system prompt went in
    adapter.close()


def test_explicit_context_size_and_device_choice(plain):
    info = plain.describe()
    assert info["n_ctx_train"] == 32768  # what the GGUF declares ...
    assert info["n_ctx"] == 4096  # ... is not what gets allocated
    gpu = llama_cpp.llama_supports_gpu_offload()
    assert info["gpu_offload"] is gpu and info["n_gpu_layers"] == (-1 if gpu else 0)
    assert info["decoding"]["temperature"] == 0.0 and info["decoding"]["repeat_penalty"] == 1.0


def test_exact_token_counts_latency_and_finish_reason(plain):
    generation = plain.generate(item(QUESTIONS[0]))
    prompt = plain.render(QUESTIONS[0])
    assert generation.infra_error is None
    assert generation.prompt_tokens == len(plain._llm.tokenize(prompt.encode(), add_bos=False, special=True))
    assert generation.output_tokens == 8 and generation.finish_reason == "length"  # max_tokens reached
    assert generation.gen_ms > 0 and generation.output


def test_greedy_decoding_is_deterministic_and_independent_of_the_previous_item(plain):
    first = plain.generate(item(QUESTIONS[0])).output
    plain.generate(item(QUESTIONS[1]))  # a different item in between must not change the next answer
    assert plain.generate(item(QUESTIONS[0])).output == first


def test_decoding_is_greedy(plain, tiny_gguf):
    """The adapter's tokens are the argmax of the logits at every step (an independent llama.cpp context)."""
    generation = plain.generate(item(QUESTIONS[2]))
    oracle = llama_cpp.Llama(model_path=str(tiny_gguf), n_ctx=512, n_threads=1, n_threads_batch=1, verbose=False)
    prompt = oracle.tokenize(plain.render(QUESTIONS[2]).encode(), add_bos=False, special=True)
    chosen: list[int] = []
    for _ in range(generation.output_tokens):  # llama-cpp-python may run past max_tokens to finish a UTF-8 character
        oracle.eval(chosen[-1:] if chosen else prompt)
        logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(oracle._ctx.ctx, -1), shape=(oracle.n_vocab(),))
        chosen.append(int(np.argmax(logits)))
    oracle.close()
    assert generation.output == plain._llm.detokenize(chosen, prev_tokens=prompt).decode("utf-8", errors="ignore")


def test_one_generation_at_a_time_under_threads(plain):
    assert LlamaCppAdapter.max_concurrency == 1
    expected = {q: plain.generate(item(q)).output for q in QUESTIONS}
    results: dict = {}
    threads = [
        threading.Thread(target=lambda q=q: results.__setitem__(q, plain.generate(item(q)).output)) for q in QUESTIONS
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == expected


def test_grammar_forces_read_only_cypher_that_neo4j_accepts(tiny_gguf, neo4j_driver):
    free = make(tiny_gguf, max_tokens=24)
    constrained = make(tiny_gguf, grammar_file="cypher_read.gbnf", max_tokens=400)
    assert constrained.describe()["grammar_sha256"]
    for number, question in enumerate(QUESTIONS):
        unconstrained = free.generate(item(question, number)).output
        assert not READ_ONLY_SHAPE.match(unconstrained)  # random weights alone write noise ...
        generation = constrained.generate(item(question, number))
        query = generation.output
        assert generation.finish_reason == "stop", query  # ... the grammar completes a query and ends
        assert READ_ONLY_SHAPE.match(query) and not WRITES.search(query.replace("CONTAINS", "")), query
        with neo4j_driver.session(default_access_mode=neo4j.READ_ACCESS) as session:
            session.execute_read(lambda tx, q=query: tx.run("EXPLAIN " + q).consume())  # parses and type-checks
    free.close()
    constrained.close()


def test_missing_weights_say_where_and_how(tmp_path):
    missing = tmp_path / "nowhere.gguf"
    adapter = make(missing)
    ready, why = LlamaCppAdapter.readiness(adapter.spec)
    assert not ready and str(missing) in why
    with pytest.raises(ModelUnavailable) as error:
        adapter.generate(item(QUESTIONS[0]))
    assert str(missing) in str(error.value) and "`harness models pull tiny`" in str(error.value)


def test_not_a_gguf_is_refused_before_llama_cpp_sees_it(tmp_path):
    bogus = tmp_path / "model.gguf"
    bogus.write_bytes(b"<html>not found</html>")
    assert LlamaCppAdapter.readiness(make(bogus).spec) == (False, f"{bogus} is not a GGUF file")


def test_prompt_that_cannot_fit_is_infra_not_output(tiny_gguf):
    adapter = make(tiny_gguf, n_ctx=256, max_tokens=32, system_prompt_file="ft_system_prompt.txt")
    generation = adapter.generate(item(QUESTIONS[0]))
    assert generation.output is None and "exceeds n_ctx 256" in generation.infra_error
    adapter.close()
