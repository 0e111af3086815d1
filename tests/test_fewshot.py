"""Few-shot prompting: the k nearest TRAIN items by the retrieval similarity, never a test item, recorded with the run."""

from __future__ import annotations

import json

import pytest

from harness.adapters.base import ModelSpec, RunContext, validate_options
from harness.adapters.endpoint import EndpointAdapter
from harness.adapters.fewshot import FewShot, FewShotOptions, inline_block
from harness.adapters.gemini import GeminiAdapter
from harness.adapters.retrieval import RetrievalAdapter
from harness.errors import InputError
from harness.suitegen.model import open_suite

SUITE = open_suite("suites/demo")


def fewshot(driver, k=3, fmt="turns") -> FewShot:
    spec = ModelSpec(name="m", adapter="endpoint")
    options = validate_options(FewShotOptions, {"fewshot_k": k, "fewshot_format": fmt}, "m.toml")
    return FewShot(spec, options, RunContext(suite=SUITE, driver=driver))


def test_examples_are_only_ever_train_items_never_a_test_item(neo4j_driver):
    train = {item.id: item for item in SUITE.items("train")}
    test = list(SUITE.items("test"))
    test_questions = {item.question for item in test}
    selector = fewshot(neo4j_driver, k=3)
    for item in test:  # every test item of the committed suite
        examples = selector.examples(item)
        assert len(examples) == 3
        for example_id, question, cypher in examples:
            assert example_id in train and train[example_id].question == question and train[example_id].cypher == cypher
            assert question not in test_questions
    on_train = next(iter(train.values()))
    assert on_train.id not in {e[0] for e in selector.examples(on_train)}  # a train-split run never sees its own answer


def test_the_nearest_example_is_the_retrieval_baselines_neighbour_and_sits_last(neo4j_driver):
    retrieval = RetrievalAdapter(
        ModelSpec(name="retrieval", adapter="retrieval"), RunContext(suite=SUITE, driver=neo4j_driver)
    )
    retrieval.check()
    selector = fewshot(neo4j_driver, k=4)
    for item in list(SUITE.items("test"))[:40]:
        (neighbour, _), _, _ = retrieval.nearest(item.question)
        assert selector.examples(item)[-1][0] == neighbour.id


def test_message_formats_and_what_the_run_records(neo4j_driver):
    examples = [("t1", "Q one?", "MATCH (a) RETURN a LIMIT 1"), ("t2", "Q two?", "MATCH (b) RETURN b LIMIT 2")]
    turns = fewshot(neo4j_driver).chat("SYS", "Real?", examples)
    assert [m["role"] for m in turns] == ["system", "user", "assistant", "user", "assistant", "user"]
    assert turns[2]["content"] == examples[0][2] and turns[-1]["content"] == "Real?"
    inline = fewshot(neo4j_driver, fmt="inline").chat(None, "Real?", examples)
    assert len(inline) == 1 and inline[0]["content"] == inline_block(examples) + "Question: Real?\nCypher:"
    assert fewshot(neo4j_driver, k=2).describe() == {
        "k": 2,
        "format": "turns",
        "split": "train",
        "selector": "retrieval similarity: entity-masked token overlap, then word pairs; ties to the smallest id",
    }
    assert fewshot(neo4j_driver, k=0).describe() is None and fewshot(neo4j_driver, k=0).chat(None, "q", []) == [
        {"role": "user", "content": "q"}
    ]


def test_endpoint_and_gemini_put_the_examples_in_their_requests(neo4j_driver):
    item = next(iter(SUITE.items("test")))
    context = RunContext(suite=SUITE, driver=neo4j_driver)
    endpoint = EndpointAdapter(ModelSpec(name="e", adapter="endpoint", options={"fewshot_k": 2}), context)
    examples = endpoint.fewshot.examples(item)
    body = endpoint.body(item.question, examples)
    assert [m["role"] for m in body["messages"]] == ["user", "assistant", "user", "assistant", "user"]
    assert body["messages"][1]["content"] == examples[0][2]
    gemini = GeminiAdapter(
        ModelSpec(name="g", adapter="gemini", options={"model": "x", "mode": "single_step", "fewshot_k": 2}), context
    )
    assert gemini.fewshot.examples(item) == examples
    assert json.dumps(gemini.describe()["fewshot"])
    with pytest.raises(InputError, match="single_step"):
        GeminiAdapter(ModelSpec(name="g", adapter="gemini", options={"model": "x", "fewshot_k": 2}))
    with pytest.raises(InputError, match="fewshot_format"):
        fewshot(neo4j_driver, fmt="bullets")
